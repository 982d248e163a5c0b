import { createHmac } from 'node:crypto';
import type { FindingSummary } from '../mask/types.js';
import { DD_KEY_HEADERS } from '../envoy/contract.js';
import { LEGACY_INPUT, NEW_FORMAT_KEY, isKeyParam, paramName, queryParts, splitRequestPath } from '../policy/request-path.js';

/**
 * Datadog keys an agent sent although the gate holds the keys: stripped before anything goes upstream
 * (keys.ts, and ext_authz's headers_to_remove), and recorded here as a finding on the call so a
 * reviewer learns that an agent holds a key, and which one: each place carries a keyed fingerprint
 * (HMAC-SHA256 under a gate secret, 16 hex), never the value.
 */
export const AGENT_KEY_FINDING = 'agent_supplied_key';

const NEW_FORMAT_KEY_G = new RegExp(NEW_FORMAT_KEY.source, 'g');

/** A Datadog key under a key-like member name in a JSON body. */
const BODY_KEY_FIELD = /"((?:x[_-]?)?(?:datadog|dd)?[_-]?(?:api|app|application)[_-]?key)"[ \t\r\n]*:[ \t\r\n]*"([^"\\]{16,512})"/gi;
const DATADOG_KEY_VALUE = /^(?:[a-fA-F0-9]{32}|[a-fA-F0-9]{40}|(?:ddpat|ddsat|ddapp|ddap)_[A-Za-z0-9_-]{16,512})$/;

/** Bodies larger than this are not searched here (ext_proc masks them whole anyway). */
const MAX_BODY_SEARCH = 1 << 20;

export type AgentKeyPlace = 'header' | 'query' | 'path' | 'body';

export interface AgentKeySighting {
  readonly place: AgentKeyPlace;
  /** Header or parameter name, JSON member name, or the legacy path. Never the value. */
  readonly name: string;
  readonly fingerprint: string;
}

export interface AgentKeyInput {
  readonly headers: Readonly<Record<string, string>>;
  /** Path with query, as the agent sent it. */
  readonly path: string;
  readonly body: Buffer | null;
  readonly contentEncoding?: string | undefined;
}

export function keyFingerprint(value: string, secret: Buffer | string): string {
  return createHmac('sha256', secret).update(value, 'utf8').digest('hex').slice(0, 16);
}

/** Header names (other than the agent's own `authorization`) whose value holds a newer-format Datadog credential. */
export function headersWithNewFormatKeys(headers: Iterable<readonly [string, string]>): string[] {
  const out: string[] = [];
  for (const [name, value] of headers) {
    if (name === 'authorization' || name.startsWith(':')) continue;
    if (NEW_FORMAT_KEY.test(value) && !(DD_KEY_HEADERS as readonly string[]).includes(name)) out.push(name);
  }
  return out;
}

/** Every place of the request that carries a Datadog key, with its fingerprint. */
export function findAgentKeys(input: AgentKeyInput, secret: Buffer | string): AgentKeySighting[] {
  const out: AgentKeySighting[] = [];
  const seen = (place: AgentKeyPlace, name: string, value: string) => out.push({ place, name, fingerprint: keyFingerprint(value, secret) });
  for (const [name, value] of Object.entries(input.headers)) {
    if (value === '' || name.startsWith(':')) continue;
    if ((DD_KEY_HEADERS as readonly string[]).includes(name)) seen('header', name, value.trim());
    else for (const m of value.matchAll(NEW_FORMAT_KEY_G)) seen('header', name, m[0]);
  }
  const { path, query } = splitRequestPath(input.path);
  const legacy = LEGACY_INPUT.exec(path);
  if (legacy) seen('path', '/v1/input/<KEY>', legacy[0].slice('/v1/input/'.length));
  for (const part of queryParts(query)) {
    if (!isKeyParam(part)) continue;
    const eq = part.indexOf('=');
    const raw = eq === -1 ? '' : part.slice(eq + 1);
    let value = raw;
    try {
      value = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      // kept as written
    }
    if (value !== '') seen('query', paramName(part).toLowerCase(), value);
  }
  const body = input.body;
  const identity = input.contentEncoding === undefined || input.contentEncoding === '' || input.contentEncoding.toLowerCase() === 'identity';
  if (body && body.length > 0 && body.length <= MAX_BODY_SEARCH && identity) {
    const text = body.toString('utf8');
    const found = new Set<string>();
    for (const m of text.matchAll(BODY_KEY_FIELD)) {
      if (!DATADOG_KEY_VALUE.test(m[2]!)) continue;
      found.add(m[2]!);
      seen('body', m[1]!, m[2]!);
    }
    for (const m of text.matchAll(NEW_FORMAT_KEY_G)) if (!found.has(m[0])) seen('body', 'text', m[0]);
  }
  return out;
}

/** The sightings as one finding of the call row: locations `<place>:<name> fp=<fingerprint>`. */
export function agentKeyFinding(sightings: readonly AgentKeySighting[]): FindingSummary | undefined {
  if (sightings.length === 0) return undefined;
  return { type: AGENT_KEY_FINDING, count: sightings.length, locations: sightings.map((s) => `${s.place}:${s.name} fp=${s.fingerprint}`) };
}
