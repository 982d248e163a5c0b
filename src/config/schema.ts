import { z } from 'zod';
import { duration } from './duration.js';
import { DATADOG_SITES } from './sites.js';
import { maskingSection } from './sections/masking.js';
import { maskPoolSection } from './sections/mask-pool.js';
import { auditSection, databaseSection } from './sections/audit.js';
import { approvalWindow, approvalsSection, SLACK_USER_ID } from './sections/approvals.js';
import { telemetrySection } from './sections/telemetry.js';
import { listenSection } from './sections/listen.js';
import { processSection } from './sections/process.js';
import { budgetIssues, budgetStoreSection, budgetsSection } from './sections/budgets.js';
import { resolveGroupRef } from '../identity/group-scope.js';

/**
 * The one schema of keyward's YAML configuration. Every key is documented here and in README.md
 * ("Configuration reference"); the loader validates a file against it once, then freezes the result.
 */

export const OPERATION_CLASSES = ['telemetry-write', 'read', 'config-change', 'destructive', 'credential-admin', 'unknown'] as const;
export type OperationClass = (typeof OPERATION_CLASSES)[number];

export const JWS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const address = z.string().regex(/^[^\s:]*:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9001');
const nonEmpty = z.string().min(1);
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const issuerSchema = z
  .object({
    /** Expected `iss` claim, and the base of OIDC discovery (an OIDC issuer URL has no `#` fragment). */
    issuer: z.url().refine((u) => !u.includes('#'), 'an issuer URL has no "#" fragment'),
    /** Short label for the issuer in group references (`<name>#<group>`); defaults to none (write the URL). */
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, ".", "_" and "-"').optional(),
    /** Accepted `aud` values; a token must carry at least one. */
    audiences: z.array(nonEmpty).min(1),
    /** JWKS URL; absent → read from `<issuer>/.well-known/openid-configuration`. */
    jwks_uri: z.url().optional(),
    /** Signature algorithms accepted (asymmetric only: HMAC and "none" are never accepted). */
    algorithms: z.array(z.enum(JWS_ALGORITHMS)).min(1).default(['RS256', 'ES256']),
    /** Claim holding the agent's groups (an array of strings, or one space/comma separated string). */
    groups_claim: nonEmpty.default('groups'),
    /** Claim naming the agent. */
    subject_claim: nonEmpty.default('sub'),
    /** Claim naming the agent's human owner (used to refuse self-approval). */
    owner_claim: nonEmpty.optional(),
    /** Refuse tokens whose `iat` is older than this, whatever their `exp` says. */
    max_token_age: duration().optional(),
    /** Refuse tokens valid for longer than this (`exp - iat`), whatever they say; needs `iat`. */
    max_token_lifetime: duration().optional(),
    /** Tolerance for clock differences on exp/nbf/iat. */
    clock_skew: duration().prefault('30s'),
    /** How long a fetched key set is used before it is fetched again. */
    jwks_cache_max_age: duration().prefault('10m'),
    /** A token with an unknown `kid` triggers a refetch at most this often. */
    jwks_cooldown: duration().prefault('30s'),
    /** Timeout of one discovery or key set request; past it the call is refused with issuer_unavailable. */
    jwks_timeout: duration().prefault('5s'),
  })
  .strict();

const identitySection = z
  .object({
    issuers: z.array(issuerSchema).default([]),
  })
  .strict();

const API_KEY = /^[0-9a-f]{32}$/;
const APP_KEY = /^(?:[0-9a-f]{40}|ddapp_[A-Za-z0-9_-]{20,})$/;

const connectionSchema = z
  .object({
    /** Name agents pass in `x-keyward-connection` and that audit rows record. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
    /** Datadog site this connection's organisation lives on. */
    site: z.enum(DATADOG_SITES),
    /** Datadog API key (32 hex). Write it as `${env:NAME}` or `${file:PATH}`. */
    api_key: z.string().regex(API_KEY, 'a Datadog API key is 32 lower-case hex characters'),
    /** Datadog application key (40 hex or ddapp_…), needed by everything but the intake endpoints. */
    app_key: z.string().regex(APP_KEY, 'a Datadog application key is 40 hex characters or starts with ddapp_').optional(),
    /** Groups allowed to use this connection. */
    groups: z.array(nonEmpty).min(1),
  })
  .strict();

/** One value of a closed list, or a list of them; an error names the allowed values (a union alone says only "Invalid input"). */
function oneOrMany<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  const message = `${what}: one of ${values.join(', ')}`;
  const one = z.enum(values, { error: () => message });
  return z.union([one, z.array(one)], { error: () => message });
}

const matchSchema = z
  .object({
    connection: z.union([nonEmpty, z.array(nonEmpty)]).optional(),
    /** Matches when the identity has at least one of these groups. */
    groups: z.array(nonEmpty).optional(),
    /** Exact subject, or a glob with `*`. */
    subject: nonEmpty.optional(),
    method: oneOrMany(HTTP_METHODS, 'an HTTP method').optional(),
    /** Path glob: `*` matches one segment, `**` any number of segments. */
    path: z.string().startsWith('/').optional(),
    class: oneOrMany(OPERATION_CLASSES, 'an operation class').optional(),
  })
  .strict();

/** How long a Check waits for an approval by default; `keyward envoy render` keeps Envoy's ext_authz timeout above it. */
export const DEFAULT_APPROVAL_HOLD = '25s';

const approvalSettings = z
  .object({
    /** Groups whose members may approve. */
    approvers: z.array(nonEmpty).min(1),
    /** Distinct approvals needed (≥ 1). */
    min_approvals: z.number().int().min(1, 'min_approvals must be at least 1').default(1),
    /** How long the Check is held waiting for a decision before answering 202. */
    hold: duration().prefault(DEFAULT_APPROVAL_HOLD),
    /** How long a pending or granted approval stays usable. */
    ttl: duration().prefault('30m'),
    /** Approvals are only accepted inside this weekly window (UTC). */
    window: approvalWindow.optional(),
  })
  .strict();

const ruleSchema = z
  .object({
    /** Name recorded in audit rows and metrics; defaults to `rule-<index>`. */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
    match: matchSchema.prefault({}),
    action: z.enum(['allow', 'deny', 'require_approval']),
    /** Log and audit what the rule would decide, then let the next rule decide. */
    dry_run: z.boolean().default(false),
    approval: approvalSettings.optional(),
    /** Per-rule masking: overrides masking.request, masking.response and masking.style for calls this rule allows. */
    masking: z
      .object({ request: z.boolean().optional(), response: z.boolean().optional(), style: z.enum(['redact', 'hmac']).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((r) => r.action !== 'require_approval' || r.approval !== undefined, {
    message: 'action require_approval needs an approval block (approvers, min_approvals)',
    path: ['approval'],
  });

const operationOverride = z
  .object({
    method: z.union([z.enum(HTTP_METHODS), z.literal('*')]),
    path: z.string().startsWith('/'),
    class: z.enum(OPERATION_CLASSES),
  })
  .strict();

const policySection = z
  .object({
    default: z.enum(['deny', 'allow']).default('deny'),
    /** A rule without a name is named `rule-<index>` here, once: audit rows, approvals and per-rule masking all read this name. */
    rules: z
      .array(ruleSchema)
      .default([])
      .transform((rules) => rules.map((r, i) => ({ ...r, name: r.name ?? `rule-${i}` }))),
    /** Extra catalogue entries, consulted before the built-in Datadog catalogue. */
    operations: z.array(operationOverride).default([]),
    /** A Datadog key the agent sent is always stripped and recorded (`agent_supplied_key`); `refuse` also refuses the call (`agent_key_present`). */
    agent_keys: z.enum(['record', 'refuse']).default('record'),
  })
  .strict();

const loggingSection = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export const configSchema = z
  .object({
    listen: listenSection.prefault({}),
    database: databaseSection.prefault({}),
    audit: auditSection.prefault({}),
    identity: identitySection.prefault({}),
    connections: z.array(connectionSchema).default([]),
    policy: policySection.prefault({}),
    masking: maskingSection.prefault({}),
    mask_pool: maskPoolSection.prefault({}),
    approvals: approvalsSection.prefault({}),
    telemetry: telemetrySection.prefault({}),
    logging: loggingSection.prefault({}),
    process: processSection.prefault({}),
    budgets: budgetsSection,
    budget_store: budgetStoreSection.prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.connections.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', message: `duplicate connection name "${c.name}"`, path: ['connections', i, 'name'] });
      seen.add(c.name);
    });
    const issuers = new Set<string>();
    const issuerNames = new Set<string>();
    cfg.identity.issuers.forEach((iss, i) => {
      if (issuers.has(iss.issuer)) ctx.addIssue({ code: 'custom', message: `duplicate issuer "${iss.issuer}"`, path: ['identity', 'issuers', i, 'issuer'] });
      issuers.add(iss.issuer);
      if (iss.name !== undefined && issuerNames.has(iss.name)) ctx.addIssue({ code: 'custom', message: `duplicate issuer name "${iss.name}"`, path: ['identity', 'issuers', i, 'name'] });
      if (iss.name !== undefined) issuerNames.add(iss.name);
    });
    const ruleNames = new Set<string>();
    cfg.policy.rules.forEach((r, i) => {
      const name = r.name;
      // Names join audit rows, approvals and per-rule masking: they must be unambiguous.
      if (name === 'default' || ruleNames.has(name)) ctx.addIssue({ code: 'custom', message: name === 'default' ? 'the rule name "default" is reserved' : `duplicate rule name "${name}"`, path: ['policy', 'rules', i, 'name'] });
      ruleNames.add(name);
      if (r.masking?.style === 'hmac' && cfg.masking.hmac_key === undefined) ctx.addIssue({ code: 'custom', message: 'masking style "hmac" needs masking.hmac_key', path: ['policy', 'rules', i, 'masking', 'style'] });
      const conns = r.match.connection === undefined ? [] : [r.match.connection].flat();
      for (const name of conns) {
        if (!seen.has(name)) ctx.addIssue({ code: 'custom', message: `rule matches unknown connection "${name}"`, path: ['policy', 'rules', i, 'match', 'connection'] });
      }
    });
    for (const [id, u] of Object.entries(cfg.approvals.slack?.users ?? {})) {
      if (!SLACK_USER_ID.test(id)) ctx.addIssue({ code: 'custom', message: `"${id}" is not a Slack user id (U… or W…, capitals and digits; Slack shows it in the member's profile)`, path: ['approvals', 'slack', 'users', id] });
      if (!issuers.has(u.issuer)) ctx.addIssue({ code: 'custom', message: `Slack approver ${id} names issuer "${u.issuer}", which is not in identity.issuers`, path: ['approvals', 'slack', 'users', id, 'issuer'] });
    }
    const signIn = cfg.approvals.sign_in;
    if (signIn && !issuers.has(signIn.issuer)) ctx.addIssue({ code: 'custom', message: `sign-in issuer "${signIn.issuer}" is not one of identity.issuers`, path: ['approvals', 'sign_in', 'issuer'] });
    for (const issue of budgetIssues(cfg.budgets, seen)) ctx.addIssue({ code: 'custom', ...issue });
  });

/**
 * The final config: every group a connection, rule or approver list names
 * resolved to its issuer (identity/group-scope.ts), so nothing downstream can confuse two issuers' groups.
 */
export const keywardSchema = configSchema.transform((cfg, ctx) => {
  const issuers = cfg.identity.issuers;
  const resolve = (refs: readonly string[], path: (string | number)[]): string[] =>
    refs.map((ref, j) => {
      const r = resolveGroupRef(ref, issuers);
      if ('error' in r) ctx.issues.push({ code: 'custom', message: r.error, path: [...path, j], input: ref });
      return 'scoped' in r ? r.scoped : ref;
    });
  return {
    ...cfg,
    connections: cfg.connections.map((c, i) => ({ ...c, groups: resolve(c.groups, ['connections', i, 'groups']) })),
    policy: {
      ...cfg.policy,
      rules: cfg.policy.rules.map((r, i) => ({
        ...r,
        match: r.match.groups ? { ...r.match, groups: resolve(r.match.groups, ['policy', 'rules', i, 'match', 'groups']) } : r.match,
        ...(r.approval ? { approval: { ...r.approval, approvers: resolve(r.approval.approvers, ['policy', 'rules', i, 'approval', 'approvers']) } } : {}),
      })),
    },
    budgets: cfg.budgets.map((b, i) => (b.match.groups ? { ...b, match: { ...b.match, groups: resolve(b.match.groups, ['budgets', i, 'match', 'groups']) } } : b)),
  };
});

export type KeywardConfigInput = z.input<typeof configSchema>;
export type KeywardConfigData = z.output<typeof configSchema>;
export type IssuerConfig = KeywardConfigData['identity']['issuers'][number];
export type ConnectionConfig = KeywardConfigData['connections'][number];
export type PolicyRule = KeywardConfigData['policy']['rules'][number];
export type RuleMatch = PolicyRule['match'];
export type ApprovalSettings = NonNullable<PolicyRule['approval']>;
