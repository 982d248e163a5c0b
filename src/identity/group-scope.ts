import type { Identity } from './types.js';

/**
 * Groups are scoped by the issuer that asserted them: `agents` from issuer B is not `agents` from
 * issuer A. Every group a config names is resolved once, at load, to `<issuer URL>#<group>`; every
 * group a token carries is read as `<its issuer>#<group>`; matching compares those strings only.
 * An OIDC issuer URL has no fragment, so the first `#` always ends the issuer.
 */
export const SCOPE_SEPARATOR = '#';

export function scopedGroup(issuer: string, group: string): string {
  return `${issuer}${SCOPE_SEPARATOR}${group}`;
}

/** The identity's groups as policy, connections and approvals compare them. */
export function scopedGroups(identity: Pick<Identity, 'issuer' | 'groups'>): string[] {
  return identity.groups.map((g) => scopedGroup(identity.issuer, g));
}

export interface IssuerLabel {
  readonly issuer: string;
  readonly name?: string | undefined;
}

/**
 * Resolves a group as written in the config (`agents`, `corp#agents`, `https://idp.example#agents`)
 * to its scoped form, or says why it cannot be: an unqualified group is only unambiguous when one
 * issuer is trusted.
 */
export function resolveGroupRef(ref: string, issuers: readonly IssuerLabel[]): { scoped: string } | { error: string } {
  const at = ref.indexOf(SCOPE_SEPARATOR);
  if (at === -1) {
    if (issuers.length === 1) return { scoped: scopedGroup(issuers[0]!.issuer, ref) };
    if (issuers.length === 0) return { scoped: ref };
    const example = issuers[0]!.name ?? issuers[0]!.issuer;
    return { error: `group "${ref}" must name its issuer when several issuers are trusted: write "${example}#${ref}" (issuer name or URL, "#", group)` };
  }
  const prefix = ref.slice(0, at);
  const group = ref.slice(at + 1);
  if (group === '') return { error: `group "${ref}" has an issuer but no group after "#"` };
  const issuer = issuers.find((i) => i.name === prefix || i.issuer === prefix);
  if (!issuer) {
    const known = issuers.map((i) => i.name ?? i.issuer).join(', ') || 'none';
    return { error: `group "${ref}" names issuer "${prefix}", which is not trusted (issuers: ${known})` };
  }
  return { scoped: scopedGroup(issuer.issuer, group) };
}
