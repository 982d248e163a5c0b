import { z } from 'zod';
import { duration } from './duration.js';
import { DATADOG_SITES } from './sites.js';
import { maskingSection } from './sections/masking.js';
import { auditSection, databaseSection } from './sections/audit.js';
import { approvalWindow, approvalsSection } from './sections/approvals.js';
import { telemetrySection } from './sections/telemetry.js';

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

const listenSection = z
  .object({
    /** gRPC address of the ext_authz service (Envoy `envoy.service.auth.v3.Authorization`). */
    authz: address.default('127.0.0.1:9001'),
    /** gRPC address of the ext_proc service (Envoy `envoy.service.ext_proc.v3.ExternalProcessor`). */
    proc: address.default('127.0.0.1:9002'),
    /** HTTP address of the admin listener: /healthz, /readyz, /metrics, approvals API and page. */
    admin: address.default('127.0.0.1:9000'),
    /** Key sealing the context ext_authz hands to ext_proc (a reference); absent → derived from the Datadog keys. */
    context_key: z.string().min(16).optional(),
  })
  .strict();

const issuerSchema = z
  .object({
    /** Expected `iss` claim, and the base of OIDC discovery. */
    issuer: z.url(),
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

const devIssuerSection = z
  .object({
    /** Run a built-in OIDC issuer for demos and local development. Never enable in production. */
    enabled: z.boolean().default(false),
    /** Address it listens on. */
    listen: address.default('127.0.0.1:9400'),
    /** Issuer URL it puts in tokens (and that keyward trusts); defaults to http://<listen>, 0.0.0.0 read as 127.0.0.1. */
    issuer: z.url().optional(),
    /** Audience of the tokens it mints. */
    audience: nonEmpty.default('keyward'),
  })
  .strict();

const identitySection = z
  .object({
    issuers: z.array(issuerSchema).default([]),
    dev_issuer: devIssuerSection.prefault({}),
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

const approvalSettings = z
  .object({
    /** Groups whose members may approve. */
    approvers: z.array(nonEmpty).min(1),
    /** Distinct approvals needed (≥ 1). */
    min_approvals: z.number().int().min(1, 'min_approvals must be at least 1').default(1),
    /** How long the Check is held waiting for a decision before answering 202. */
    hold: duration().prefault('25s'),
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
    rules: z.array(ruleSchema).default([]),
    /** Extra catalogue entries, consulted before the built-in Datadog catalogue. */
    operations: z.array(operationOverride).default([]),
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
    approvals: approvalsSection.prefault({}),
    telemetry: telemetrySection.prefault({}),
    logging: loggingSection.prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.connections.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', message: `duplicate connection name "${c.name}"`, path: ['connections', i, 'name'] });
      seen.add(c.name);
    });
    const issuers = new Set<string>();
    cfg.identity.issuers.forEach((iss, i) => {
      if (issuers.has(iss.issuer)) ctx.addIssue({ code: 'custom', message: `duplicate issuer "${iss.issuer}"`, path: ['identity', 'issuers', i, 'issuer'] });
      issuers.add(iss.issuer);
    });
    const ruleNames = new Set<string>();
    cfg.policy.rules.forEach((r, i) => {
      const name = r.name ?? `rule-${i}`;
      // Names join audit rows, approvals and per-rule masking: they must be unambiguous.
      if (name === 'default' || ruleNames.has(name)) ctx.addIssue({ code: 'custom', message: name === 'default' ? 'the rule name "default" is reserved' : `duplicate rule name "${name}"`, path: ['policy', 'rules', i, 'name'] });
      ruleNames.add(name);
      if (r.masking?.style === 'hmac' && cfg.masking.hmac_key === undefined) ctx.addIssue({ code: 'custom', message: 'masking style "hmac" needs masking.hmac_key', path: ['policy', 'rules', i, 'masking', 'style'] });
      const conns = r.match.connection === undefined ? [] : [r.match.connection].flat();
      for (const name of conns) {
        if (!seen.has(name)) ctx.addIssue({ code: 'custom', message: `rule matches unknown connection "${name}"`, path: ['policy', 'rules', i, 'match', 'connection'] });
      }
    });
  });

/** The dev issuer's URL, as tokens carry it. */
export function devIssuerUrl(dev: { listen: string; issuer?: string | undefined }): string {
  return dev.issuer ?? `http://${dev.listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`;
}

/** The final config: an enabled dev issuer is trusted like any configured issuer. */
export const keywardSchema = configSchema.transform((cfg) => {
  const dev = cfg.identity.dev_issuer;
  if (!dev.enabled) return cfg;
  const url = devIssuerUrl(dev);
  if (cfg.identity.issuers.some((i) => i.issuer === url)) return cfg;
  const trusted = issuerSchema.parse({ issuer: url, audiences: [dev.audience] });
  return { ...cfg, identity: { ...cfg.identity, issuers: [...cfg.identity.issuers, trusted] } };
});

export type KeywardConfigInput = z.input<typeof configSchema>;
export type KeywardConfigData = z.output<typeof configSchema>;
export type IssuerConfig = KeywardConfigData['identity']['issuers'][number];
export type ConnectionConfig = KeywardConfigData['connections'][number];
export type PolicyRule = KeywardConfigData['policy']['rules'][number];
export type RuleMatch = PolicyRule['match'];
export type ApprovalSettings = NonNullable<PolicyRule['approval']>;
