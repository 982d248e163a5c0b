import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { createBodyCodec } from '../../../src/mask/codecs.js';
import { maskBody } from '../../../src/mask/body.js';
import { maskerConfig } from './helpers.js';

const masker = createMasker(maskerConfig());
const PASSWORD = 'Tr0ub4dor3horse';
const STRIPE = 'sk_live_51H8abcdefghijklmnopqrstuv';

/** Masks `payload` as the body of `method path` and returns the parsed result. */
function masked(method: string, path: string, payload: unknown, m = masker): { out: unknown; text: string } {
  const text = m.maskBody(Buffer.from(JSON.stringify(payload)), 'application/json', { method, path }).body.toString('utf8');
  return { out: JSON.parse(text) as unknown, text };
}

t.test('functional fields: a monitor keeps its @handles in message and escalation_message; secrets and other PII are masked', async (t) => {
  // Shape of v1 Monitor (createMonitor body), as the official client serialises it.
  const monitor = {
    name: 'CPU high on web',
    type: 'metric alert',
    query: 'avg(last_5m):avg:system.cpu.user{role:web} > 90',
    message: `CPU high. {{#is_alert}}Notify @jane.doe@example.com @slack-ops-alerts @pagerduty-Web @opsgenie-sre @teams-Ops @webhook-hook-5551234567{{/is_alert}} db password=${PASSWORD} owner bob@example.org`,
    tags: ['team:web', 'contact:carol@example.com'],
    options: { escalation_message: 'Still high, @oncall-web @jane.doe@example.com.', notify_no_data: true, renotify_interval: 60, thresholds: { critical: 90 } },
  };
  const { text } = masked('POST', '/api/v1/monitor', monitor);
  const out = JSON.parse(text) as typeof monitor;
  for (const handle of ['@jane.doe@example.com', '@slack-ops-alerts', '@pagerduty-Web', '@opsgenie-sre', '@teams-Ops', '@webhook-hook-5551234567']) t.ok(out.message.includes(handle), `${handle} forwarded intact`);
  t.equal(out.options.escalation_message, 'Still high, @oncall-web @jane.doe@example.com.');
  t.notOk(text.includes(PASSWORD), 'a password in the message is still masked');
  t.ok(out.message.includes('owner [REDACTED:email]'), 'an address that is not a handle is PII');
  t.same(out.tags[1], 'contact:[REDACTED:email]', 'tags are not a functional field');
  t.equal(masked('PUT', '/api/v1/monitor/42', monitor).text, text, 'an update is the same resource');
  const list = masked('GET', '/api/v1/monitor', [monitor, monitor]).out as (typeof monitor)[];
  t.ok(list[1]!.message.includes('@jane.doe@example.com'), 'a listed monitor read back keeps its handles too');
  const unscoped = masker.maskBody(Buffer.from(JSON.stringify(monitor)), 'application/json').body.toString('utf8');
  t.notOk(unscoped.includes('jane.doe@example.com'), 'without a route (the default) handles are masked');
  t.notOk(masked('POST', '/api/v1/events', { text: monitor.message }).text.includes('jane.doe@example.com'), 'another resource: masked');
});

t.test('functional fields: an SLO alert is a monitor; an SLO itself has no recipient fields', async (t) => {
  const sloAlert = { name: 'SLO burn', type: 'slo alert', query: 'error_budget("abc").over("7d") > 75', message: 'Burning @slack-slo-alerts @jane@example.com', options: { thresholds: { critical: 75 } } };
  t.equal((masked('POST', '/api/v1/monitor', sloAlert).out as typeof sloAlert).message, sloAlert.message);
  // v1 ServiceLevelObjectiveRequest: name, description, query, thresholds, tags, type… — nothing routes notifications.
  const slo = { name: 'API availability', type: 'metric', description: 'owner @jane@example.com', query: { numerator: 'sum:req.ok{*}.as_count()', denominator: 'sum:req{*}.as_count()' }, thresholds: [{ timeframe: '7d', target: 99.9 }] };
  t.equal((masked('POST', '/api/v1/slo', slo).out as typeof slo).description, 'owner @[REDACTED:email]');
});

t.test('functional fields: a dashboard keeps notify_list recipients', async (t) => {
  const dashboard = { title: 'Web', layout_type: 'ordered', description: 'ask jane@example.com', notify_list: ['jane@example.com', '@bob@example.org', 'not a handle 10.0.0.1'], widgets: [{ definition: { type: 'note', content: 'hi' } }] };
  const out = masked('POST', '/api/v1/dashboard', dashboard).out as typeof dashboard;
  t.same(out.notify_list, ['jane@example.com', '@bob@example.org', 'not a handle [REDACTED:ipv4]']);
  t.equal(out.description, 'ask [REDACTED:email]');
  t.same((masked('PUT', '/api/v1/dashboard/abc-def-ghi', dashboard).out as typeof dashboard).notify_list.slice(0, 2), ['jane@example.com', '@bob@example.org']);
});

t.test('functional fields: downtimes (v1 and v2) keep handles in message', async (t) => {
  const v1 = { scope: ['env:prod'], message: `Maintenance @slack-ops @jane@example.com token=${STRIPE}`, monitor_tags: ['*'], notify_end_states: ['alert'], notify_end_types: ['expired'] };
  const o1 = masked('POST', '/api/v1/downtime', v1).out as typeof v1;
  t.ok(o1.message.startsWith('Maintenance @slack-ops @jane@example.com'));
  t.notOk(o1.message.includes(STRIPE));
  const v2 = { data: { type: 'downtime', attributes: { scope: 'env:prod', message: 'Patching @pagerduty-Infra @ops@example.com', monitor_identifier: { monitor_tags: ['*'] }, schedule: { start: null } } } };
  const o2 = masked('PATCH', '/api/v2/downtime/00e000000-0000-1234-0000-000000000000', v2).out as typeof v2;
  t.equal(o2.data.attributes.message, v2.data.attributes.message);
});

t.test('functional fields: synthetics tests keep message and monitor_options.escalation_message handles', async (t) => {
  const test = {
    name: 'Checkout',
    type: 'api',
    subtype: 'http',
    locations: ['aws:eu-west-1'],
    message: 'Checkout down @slack-checkout @jane@example.com',
    config: { request: { method: 'GET', url: 'https://shop.example.com/checkout', headers: { Authorization: `Bearer ${STRIPE}` } }, assertions: [] },
    options: { tick_every: 300, monitor_options: { renotify_interval: 120, escalation_message: 'Still down @pagerduty-Shop' } },
  };
  const { out, text } = masked('POST', '/api/v1/synthetics/tests/api', test);
  const o = out as typeof test;
  t.equal(o.message, test.message);
  t.equal(o.options.monitor_options.escalation_message, test.options.monitor_options.escalation_message);
  t.notOk(text.includes(STRIPE), 'the test request header credential is masked');
  t.equal((masked('PUT', '/api/v1/synthetics/tests/browser/abc-123-def', test).out as typeof test).message, test.message);
});

t.test('functional fields: security rules, incidents, notification rules and notebooks', async (t) => {
  const rule = { name: 'Brute force', isEnabled: true, message: 'Investigate @slack-secops', queries: [{ query: 'source:auth' }], cases: [{ status: 'high', condition: 'a > 10', notifications: ['@jane@example.com', 'jane@example.com'] }], options: {} };
  const r = masked('POST', '/api/v2/security_monitoring/rules', rule).out as typeof rule;
  t.same(r.cases[0]!.notifications, rule.cases[0]!.notifications);

  const incident = { data: { type: 'incidents', attributes: { title: 'Outage', customer_impacted: false, notification_handles: [{ display_name: 'Jane Doe', handle: '@jane@example.com' }] } } };
  const i = masked('POST', '/api/v2/incidents', incident).out as typeof incident;
  t.equal(i.data.attributes.notification_handles[0]!.handle, '@jane@example.com');

  const nrule = { data: { type: 'monitor-notification-rule', attributes: { name: 'web', filter: { tags: ['team:web'] }, recipients: ['slack-web-alerts', 'jane@example.com'], conditional_recipients: { conditions: [{ scope: 'env:prod', recipients: ['pagerduty-web'] }] } } } };
  const n = masked('POST', '/api/v2/monitor/notification_rule', nrule).out as typeof nrule;
  t.same(n.data.attributes.recipients, nrule.data.attributes.recipients);

  const notebook = { data: { type: 'notebooks', attributes: { name: 'Postmortem', time: { live_span: '1h' }, cells: [{ type: 'notebook_cells', attributes: { definition: { type: 'markdown', text: `cc @jane@example.com; root password=${PASSWORD}` } } }] } } };
  const { out: nb, text } = masked('POST', '/api/v1/notebooks', notebook);
  t.ok((nb as typeof notebook).data.attributes.cells[0]!.attributes.definition.text.startsWith('cc @jane@example.com;'));
  t.notOk(text.includes(PASSWORD));
});

t.test('functional fields: the catalogue is overridable in config', async (t) => {
  const monitor = { message: 'hi @jane@example.com', notify_list: ['x@example.com'] };
  const off = createMasker(maskerConfig({ functional_fields: { disable: ['monitors'] } }));
  t.equal((masked('POST', '/api/v1/monitor', monitor, off).out as typeof monitor).message, 'hi @[REDACTED:email]', 'a disabled resource is masked');
  const own = createMasker(maskerConfig({ functional_fields: { builtin: false, fields: [{ resource: 'hooks', methods: ['POST'], paths: ['/api/v1/integration/webhooks/**'], handles: ['$.notify_list[*]'] }] } }));
  t.same((masked('POST', '/api/v1/integration/webhooks/configuration/webhooks', monitor, own).out as typeof monitor).notify_list, ['x@example.com'], 'an entry of its own');
  t.equal((masked('POST', '/api/v1/monitor', monitor, own).out as typeof monitor).message, 'hi @[REDACTED:email]', 'builtin: false drops the built-in catalogue');
  t.throws(() => maskerConfig({ functional_fields: { fields: [{ resource: 'x', methods: ['POST'], paths: ['/a'], text: ['message'] }] } }), 'a field that is not a JSON path is refused by the schema');
});

t.test('functional fields: the audit copy keeps handles, or masks them when config asks', async (t) => {
  const raw = Buffer.from(JSON.stringify({ name: 'm', type: 'metric alert', query: 'q', message: `@jane@example.com password=${PASSWORD}` }));
  const codec = createBodyCodec({ maxBodyBytes: 1 << 20, maxRatio: 100 });
  const route = { method: 'POST', path: '/api/v1/monitor' };
  const keep = await maskBody(raw, 'application/json', undefined, { masker, codec, literals: [], route, auditHandles: 'keep' });
  t.match(keep.wire.toString(), /@jane@example\.com/);
  t.match(keep.maskedText, /@jane@example\.com/);
  const mask = await maskBody(raw, 'application/json', undefined, { masker, codec, literals: [], route, auditHandles: 'mask' });
  t.match(mask.wire.toString(), /@jane@example\.com/, 'forwarded intact');
  t.notMatch(mask.maskedText, /jane@example\.com/, 'the audit copy masks the handle');
  t.notMatch(mask.maskedText + mask.wire.toString(), new RegExp(PASSWORD), 'the password is masked in both');
});
