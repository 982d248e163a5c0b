import type { FunctionalFieldEntry, FunctionalFieldsConfig } from '../config/sections/functional-fields.js';
import { compilePathGlob } from '../policy/path-glob.js';
import { splitRequestPath } from '../policy/request-path.js';
import { matchesAllowPath, parseAllowPath, type PathSegment } from './paths.js';

/**
 * Functional PII: the notification handles that route what an agent creates. `@jane@example.com` in a
 * monitor's message, `jane@example.com` in a dashboard's `notify_list`, `slack-ops` in a notification
 * rule's recipients are addresses Datadog sends alerts to; masking them silently stops the alerts.
 *
 * The catalogue below names, per Datadog resource, the fields that carry handles, read from the
 * official client's models (`@datadog/datadog-api-client`, v1 and v2 `models/*.js`, by `baseName`).
 * Only PII detections (e-mail, phone) that are part of a handle in such a field are kept; every
 * secret type (keys, tokens, passwords) is masked wherever it is.
 */
export const BUILTIN_FUNCTIONAL_FIELDS: readonly FunctionalFieldEntry[] = [
  {
    // v1 Monitor: message; MonitorOptions: escalation_message. SLO alerts are monitors too (type "slo alert").
    resource: 'monitors',
    methods: ['GET', 'POST', 'PUT'],
    paths: ['/api/v1/monitor', '/api/v1/monitor/*', '/api/v1/monitor/validate', '/api/v1/monitor/*/validate'],
    text: ['$.message', '$.options.escalation_message', '$[*].message', '$[*].options.escalation_message'],
    handles: [],
  },
  {
    // v1 MonitorSearchResult.notifications[].handle (GET /api/v1/monitor/search).
    resource: 'monitor_search',
    methods: ['GET'],
    paths: ['/api/v1/monitor/search'],
    text: [],
    handles: ['$.monitors[*].notifications[*].handle'],
  },
  {
    // v2 MonitorNotificationRuleAttributes: recipients, conditional_recipients.conditions[].recipients.
    resource: 'monitor_notification_rules',
    methods: ['GET', 'POST', 'PATCH'],
    paths: ['/api/v2/monitor/notification_rule', '/api/v2/monitor/notification_rule/*'],
    text: [],
    handles: ['$.data.attributes.recipients[*]', '$.data.attributes.conditional_recipients.conditions[*].recipients[*]', '$.data[*].attributes.recipients[*]', '$.data[*].attributes.conditional_recipients.conditions[*].recipients[*]'],
  },
  {
    // v1 Dashboard.notify_list: "List of handles of users to notify when changes are made to this dashboard."
    resource: 'dashboards',
    methods: ['GET', 'POST', 'PUT'],
    paths: ['/api/v1/dashboard', '/api/v1/dashboard/*'],
    text: [],
    handles: ['$.notify_list[*]'],
  },
  {
    // v1 Downtime.message; v2 DowntimeCreateRequestAttributes / DowntimeUpdateRequestAttributes .message.
    resource: 'downtimes',
    methods: ['GET', 'POST', 'PUT', 'PATCH'],
    paths: ['/api/v1/downtime', '/api/v1/downtime/*', '/api/v2/downtime', '/api/v2/downtime/*'],
    text: ['$.message', '$[*].message', '$.data.attributes.message', '$.data[*].attributes.message'],
    handles: [],
  },
  {
    // v1 SyntheticsAPITest / SyntheticsBrowserTest / SyntheticsMobileTest: message;
    // SyntheticsTestOptionsMonitorOptions: escalation_message.
    resource: 'synthetics',
    methods: ['GET', 'POST', 'PUT', 'PATCH'],
    paths: ['/api/v1/synthetics/tests', '/api/v1/synthetics/tests/**'],
    text: ['$.message', '$.options.monitor_options.escalation_message', '$.tests[*].message', '$.tests[*].options.monitor_options.escalation_message'],
    handles: [],
  },
  {
    // v2 SecurityMonitoringRuleCreatePayload: message; SecurityMonitoringRuleCaseCreate.notifications.
    resource: 'security_rules',
    methods: ['GET', 'POST', 'PUT'],
    paths: ['/api/v2/security_monitoring/rules', '/api/v2/security_monitoring/rules/*'],
    text: ['$.message'],
    handles: ['$.cases[*].notifications[*]'],
  },
  {
    // v2 IncidentCreateAttributes / IncidentUpdateAttributes: notification_handles[].handle.
    resource: 'incidents',
    methods: ['GET', 'POST', 'PATCH'],
    paths: ['/api/v2/incidents', '/api/v2/incidents/*'],
    text: [],
    handles: ['$.data.attributes.notification_handles[*].handle'],
  },
  {
    // v1 NotebookMarkdownCellDefinition.text: markdown in which `@handle` mentions notify.
    resource: 'notebooks',
    methods: ['GET', 'POST', 'PUT'],
    paths: ['/api/v1/notebooks', '/api/v1/notebooks/*'],
    text: ['$.data.attributes.cells[*].attributes.definition.text'],
    handles: [],
  },
];

/** Detection types that may be part of a handle. Secrets are never among them. */
const HANDLE_TYPES: ReadonlySet<string> = new Set(['email', 'phone_number']);

/** Datadog's notification integrations: `@slack-…`, `@pagerduty-…`, `@webhook-…`, … */
const INTEGRATIONS = ['slack', 'pagerduty', 'webhook', 'opsgenie', 'teams', 'microsoft-teams', 'jira', 'servicenow', 'victorops', 'oncall', 'team', 'workflow', 'case', 'hangouts', 'flowdock', 'email'];
const EMAIL = String.raw`[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}`;
const INTEGRATION = String.raw`(?:${INTEGRATIONS.join('|')})-[A-Za-z0-9_.@+-]{1,200}`;
/** `@user@domain`, `@slack-channel`: the whole token after `@`. */
const MENTION = new RegExp(String.raw`^@(?:${EMAIL}|${INTEGRATION})$`);
/** A recipient value: the same, `@` optional (`notify_list` holds bare addresses). */
const RECIPIENT = new RegExp(String.raw`^@?(?:${EMAIL}|${INTEGRATION})$`);
/** Characters a handle token is made of (after its leading `@`). */
const HANDLE_CHAR = /[A-Za-z0-9_.%+@-]/;

type Steps = ReturnType<typeof parseAllowPath>;

interface CompiledEntry {
  readonly methods: ReadonlySet<string>;
  readonly paths: readonly RegExp[];
  readonly text: readonly Steps[];
  readonly handles: readonly Steps[];
}

/** Which fields of one body carry handles; `undefined` from the catalogue when none do. */
export interface FunctionalScope {
  readonly text: readonly Steps[];
  readonly handles: readonly Steps[];
}

export type FunctionalCatalogue = (method: string, rawPath: string) => FunctionalScope | undefined;

function compileEntry(e: FunctionalFieldEntry): CompiledEntry {
  return { methods: new Set(e.methods), paths: e.paths.map(compilePathGlob), text: e.text.map(parseAllowPath), handles: e.handles.map(parseAllowPath) };
}

/** The catalogue a config asks for: the built-in entries (minus `disable`) and its own. */
export function createFunctionalCatalogue(config: FunctionalFieldsConfig): FunctionalCatalogue {
  const disabled = new Set(config.disable);
  const builtin = config.builtin ? BUILTIN_FUNCTIONAL_FIELDS.filter((e) => !disabled.has(e.resource)) : [];
  const entries = [...config.fields, ...builtin].map(compileEntry);
  return (method, rawPath) => {
    const { path, canonical } = splitRequestPath(rawPath);
    if (!canonical) return undefined;
    const m = method.toUpperCase();
    const text: Steps[] = [];
    const handles: Steps[] = [];
    for (const e of entries) {
      if (!e.methods.has(m) || !e.paths.some((p) => p.test(path))) continue;
      text.push(...e.text);
      handles.push(...e.handles);
    }
    return text.length + handles.length > 0 ? { text, handles } : undefined;
  };
}

/** Whether `[from, to)` of a text field lies inside one `@handle` token. */
export function inMention(text: string, from: number, to: number): boolean {
  // Back to the token's `@`: a user handle's span starts right after it (`@` + `jane@example.com`);
  // in `@webhook-5551234567` the integration name comes first.
  let start = from;
  while (start > 0 && text[start - 1] !== '@' && HANDLE_CHAR.test(text[start - 1]!)) start--;
  if (text[start - 1] !== '@') return false;
  start--;
  if (start > 0 && HANDLE_CHAR.test(text[start - 1]!)) return false;
  let end = to;
  while (end < text.length && HANDLE_CHAR.test(text[end]!)) end++;
  // A sentence's full stop is not part of the handle.
  while (end > to && text[end - 1] === '.') end--;
  return MENTION.test(text.slice(start, end));
}

/**
 * Whether a detection is a handle kept on purpose: a PII type, in a field the scope names, and part of
 * a handle there (a mention in a text field, or the whole value of a recipient field).
 */
export function isFunctionalHandle(scope: FunctionalScope, path: readonly PathSegment[], value: string, from: number, to: number, type: string): boolean {
  if (!HANDLE_TYPES.has(type)) return false;
  if (scope.handles.some((s) => matchesAllowPath(s, path)) && RECIPIENT.test(value.trim())) return true;
  return scope.text.some((s) => matchesAllowPath(s, path)) && inMention(value, from, to);
}
