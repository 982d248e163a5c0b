import t from 'tap';
import { passThrough, phaseOf, startRig, type ProcPhase, type ProcReplies } from '../../helpers/scripted-servers.js';
import type { ProcessingRequest__Output } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';

// processing_mode.proto: request and response headers are sent by default, bodies are NONE, trailers
// SKIP; messages come in the order request_headers → request_body → response_headers → response_body.
// ext_proc.proto: mode_override is ignored unless allow_mode_override, and Envoy reads it only while
// waiting for a headers response.

const phases = (rig: { proc: { streams: { request?: string }[][] } | null }) => rig.proc!.streams.map((s) => s.map((m) => m.request));
const BUFFERED_ALL = { request_header_mode: 'SEND', response_header_mode: 'SEND', request_body_mode: 'BUFFERED', response_body_mode: 'BUFFERED' } as const;

t.test('harness: ext_proc default processing mode sends headers only (bodies NONE)', async (t) => {
  const rig = await startRig({});
  t.teardown(() => rig.stop());
  const res = await rig.call('/x', { body: '{"a":1}' });
  t.equal(res.status, 200);
  t.same(phases(rig), [['request_headers', 'response_headers']]);
  const first = rig.proc!.streams[0]![0]!;
  t.equal(first.request_headers?.end_of_stream, false, 'end_of_stream false: a body follows');
});

t.test('harness: ext_proc phase order with buffered bodies is request_headers → request_body → response_headers → response_body', async (t) => {
  const rig = await startRig({ extProc: { processingMode: { ...BUFFERED_ALL } } });
  t.teardown(() => rig.stop());
  await rig.call('/x', { body: '{"a":1}' });
  t.same(phases(rig), [['request_headers', 'request_body', 'response_headers', 'response_body']]);
  const [, reqBody, , resBody] = rig.proc!.streams[0]!;
  t.equal(Buffer.from(reqBody!.request_body!.body).toString(), '{"a":1}');
  t.equal(reqBody!.request_body!.end_of_stream, true);
  t.equal(Buffer.from(resBody!.response_body!.body).toString(), JSON.stringify({ method: 'POST', path: '/x' }));
});

t.test('harness: ext_proc sends no body message for a request without a body; end_of_stream set on its headers', async (t) => {
  const rig = await startRig({ extProc: { processingMode: { ...BUFFERED_ALL } } });
  t.teardown(() => rig.stop());
  await rig.call('/x');
  t.same(phases(rig), [['request_headers', 'response_headers', 'response_body']]);
  t.equal(rig.proc!.streams[0]![0]!.request_headers?.end_of_stream, true);
});

t.test('harness: ext_proc SKIP header modes send nothing for that direction', async (t) => {
  const rig = await startRig({ extProc: { processingMode: { request_header_mode: 'SEND', response_header_mode: 'SKIP', request_body_mode: 'NONE', response_body_mode: 'NONE' } } });
  t.teardown(() => rig.stop());
  await rig.call('/x');
  t.same(phases(rig), [['request_headers']]);
});

function overriding(mode: ProcessingResponse['mode_override']) {
  return (m: ProcessingRequest__Output, r: ProcReplies) => {
    const phase: ProcPhase = phaseOf(m);
    r.send(phase === 'request_headers' ? { ...passThrough(phase), mode_override: mode } : passThrough(phase));
  };
}

t.test('harness: ext_proc mode_override from a headers response is honoured with allow_mode_override', async (t) => {
  const rig = await startRig({ proc: overriding({ request_body_mode: 'BUFFERED', response_body_mode: 'BUFFERED' }), extProc: { allowModeOverride: true } });
  t.teardown(() => rig.stop());
  await rig.call('/x', { body: 'hello' });
  t.same(phases(rig), [['request_headers', 'request_body', 'response_headers', 'response_body']]);
});

t.test('harness: ext_proc mode_override is ignored without allow_mode_override', async (t) => {
  const rig = await startRig({ proc: overriding({ request_body_mode: 'BUFFERED', response_body_mode: 'BUFFERED' }), extProc: { allowModeOverride: false } });
  t.teardown(() => rig.stop());
  await rig.call('/x', { body: 'hello' });
  t.same(phases(rig), [['request_headers', 'response_headers']]);
});

t.test('harness: ext_proc mode_override in a body response is ignored', async (t) => {
  const rig = await startRig({
    proc: (m, r) => {
      const phase = phaseOf(m);
      r.send(phase === 'request_body' ? { ...passThrough(phase), mode_override: { response_body_mode: 'BUFFERED' } } : passThrough(phase));
    },
    extProc: { allowModeOverride: true, processingMode: { request_header_mode: 'SEND', response_header_mode: 'SEND', request_body_mode: 'BUFFERED', response_body_mode: 'NONE' } },
  });
  t.teardown(() => rig.stop());
  await rig.call('/x', { body: 'hello' });
  t.same(phases(rig), [['request_headers', 'request_body', 'response_headers']]);
});

t.test('harness: ext_proc mode_override is a whole mode: unset fields mean NONE / DEFAULT (send headers)', async (t) => {
  const rig = await startRig({
    proc: overriding({ request_body_mode: 'BUFFERED' }),
    extProc: { allowModeOverride: true, processingMode: { request_header_mode: 'SEND', response_header_mode: 'SKIP', request_body_mode: 'NONE', response_body_mode: 'BUFFERED' } },
  });
  t.teardown(() => rig.stop());
  await rig.call('/x', { body: 'hello' });
  t.same(phases(rig), [['request_headers', 'request_body', 'response_headers']], 'response headers DEFAULT → SEND; response body unset → NONE');
});

t.test('harness: a BUFFERED body over per_connection_buffer_limit_bytes → 413 (request) / 500 (response), not sent to ext_proc', async (t) => {
  const buffered = { request_header_mode: 'SEND', response_header_mode: 'SEND', request_body_mode: 'BUFFERED', response_body_mode: 'BUFFERED' } as const;
  const rig = await startRig({ proc: (m, r) => r.send(passThrough(phaseOf(m))), extProc: { processingMode: { ...buffered } }, bufferLimitBytes: 1024 });
  t.teardown(() => rig.stop());
  const big = await rig.call('/x', { method: 'POST', body: 'x'.repeat(2048) });
  t.equal(big.status, 413);
  t.equal(rig.upstream.received.length, 0);
  t.same(rig.proc!.streams.at(-1)!.map(phaseOf), ['request_headers'], 'the body never reached the processor');
  rig.upstream.respond = () => ({ status: 200, body: 'y'.repeat(2048) });
  t.equal((await rig.call('/x', { method: 'POST', body: 'small' })).status, 500, 'an oversized buffered response');
});
