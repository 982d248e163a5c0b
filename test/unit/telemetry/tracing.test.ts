import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { telemetrySection } from '../../../src/config/sections/telemetry.js';
import { createTracing, type SpanFields } from '../../../src/telemetry/tracing.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN}-01`;
const DD_KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLWJ5dGVz';

function setup() {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing(telemetrySection.parse({}), { exporter, secrets: () => [DD_KEY] });
  return { exporter, tracing };
}

t.test('tracing: a Check span continues the incoming traceparent', async (t) => {
  const { exporter, tracing } = setup();
  const span = tracing.startCheckSpan(TRACEPARENT, { request_id: 'r-1', method: 'GET' });
  t.equal(span.traceId, TRACE_ID);
  t.match(span.traceparent, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  span.set({ subject: 'agent-1', connection: 'prod', class: 'read' });
  span.end({ decision: 'allow', rule: 'reads' });
  const [done] = exporter.getFinishedSpans();
  t.equal(done?.name, 'keyward.check');
  t.equal(done?.kind, SpanKind.SERVER);
  t.equal(done?.spanContext().traceId, TRACE_ID);
  t.equal(done?.parentSpanContext?.spanId, PARENT_SPAN);
  t.same(done?.attributes, {
    'keyward.request_id': 'r-1',
    'http.request.method': 'GET',
    'keyward.subject': 'agent-1',
    'keyward.connection': 'prod',
    'keyward.operation_class': 'read',
    'keyward.decision': 'allow',
    'keyward.rule': 'reads',
  });
  await tracing.shutdown();
});

t.test('tracing: a missing or malformed traceparent starts a new trace', async (t) => {
  const { exporter, tracing } = setup();
  for (const tp of [undefined, 'garbage', `00-${'0'.repeat(32)}-${PARENT_SPAN}-01`]) tracing.startCheckSpan(tp).end();
  const spans = exporter.getFinishedSpans();
  t.equal(spans.length, 3);
  for (const s of spans) {
    t.not(s.spanContext().traceId, TRACE_ID);
    t.equal(s.parentSpanContext, undefined);
  }
  await tracing.shutdown();
});

t.test('tracing: attributes never carry tokens or configured keys', async (t) => {
  const { exporter, tracing } = setup();
  const span = tracing.startCheckSpan(TRACEPARENT, { subject: JWT, connection: `prod-${DD_KEY}` });
  // Fields outside the allow-list are dropped even if a caller forces them through.
  span.set({ rule: 'Bearer abc.def', authorization: `Bearer ${JWT}`, body: '{"api_key":"x"}' } as SpanFields);
  span.end({ decision: 'error', code: 'internal_error' });
  const [done] = exporter.getFinishedSpans();
  const text = JSON.stringify({ attributes: done?.attributes, events: done?.events, status: done?.status });
  t.notMatch(text, DD_KEY);
  t.notMatch(text, JWT);
  t.notMatch(text, 'abc.def');
  t.notMatch(text, 'api_key');
  t.equal(done?.attributes['keyward.subject'], '[REDACTED:secret]');
  t.equal(done?.attributes['keyward.connection'], '[REDACTED:secret]');
  t.same(Object.keys(done?.attributes ?? {}).sort(), ['keyward.code', 'keyward.connection', 'keyward.decision', 'keyward.rule', 'keyward.subject']);
  t.same(done?.status, { code: SpanStatusCode.ERROR, message: 'internal_error' });
  await tracing.shutdown();
});

t.test('tracing: an ext_proc stream span records one event per phase, in order', async (t) => {
  const { exporter, tracing } = setup();
  const span = tracing.startProcSpan(TRACEPARENT, { request_id: 'r-2' });
  span.phase('request_headers', { duration_ms: 0.1 });
  span.phase('request_body', { findings: 3, duration_ms: 1.5 });
  span.phase('response_headers');
  span.end();
  span.end(); // a second end is ignored
  const spans = exporter.getFinishedSpans();
  t.equal(spans.length, 1);
  t.equal(spans[0]?.name, 'keyward.ext_proc');
  t.equal(spans[0]?.spanContext().traceId, TRACE_ID);
  t.same(spans[0]?.events.map((e) => e.name), ['request_headers', 'request_body', 'response_headers']);
  t.same(spans[0]?.events[1]?.attributes, { 'keyward.findings': 3, 'keyward.duration_ms': 1.5 });
  await tracing.shutdown();
});

t.test('tracing: off by default, spans are shared no-ops', async (t) => {
  const tracing = createTracing(telemetrySection.parse({}));
  t.equal(tracing.enabled, false);
  const span = tracing.startProcSpan(TRACEPARENT, { subject: 'a' });
  t.equal(span.traceId, '');
  t.equal(span.traceparent, undefined);
  span.phase('request_headers');
  span.end({ decision: 'allow' });
  t.equal(tracing.startCheckSpan(undefined), span);
  await tracing.shutdown();
});
