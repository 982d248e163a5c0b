import t from 'tap';
import { headersOf, passThrough, phaseOf, setHeader, startRig } from '../../helpers/scripted-servers.js';
import type { ProcessingRequest__Output } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcReplies } from '../../helpers/scripted-servers.js';

// processing_mode.proto / processor_state.cc: a body mutation in a headers response needs
// CONTINUE_AND_REPLACE (Envoy then drops content-length and sends no body message); in BUFFERED mode
// with headers sent, a body mutation must match any content-length left (else 500). Default
// HeaderMutationRules (mutation_rules.proto) refuse host, :authority, :scheme, :method and x-envoy-*;
// `:path` may be set. Header values travel as raw_value bytes.

type Script = (m: ProcessingRequest__Output, r: ProcReplies) => void;
const BUFFERED_REQ = { request_header_mode: 'SEND', response_header_mode: 'SEND', request_body_mode: 'BUFFERED', response_body_mode: 'NONE' } as const;

t.test('harness: ext_proc headers arrive as raw_value with pseudo-headers first', async (t) => {
  const rig = await startRig({});
  t.teardown(() => rig.stop());
  await rig.call('/api/v1/validate?x=1', { headers: { 'x-agent': 'a1' } });
  const msg = rig.proc!.streams[0]![0]!;
  const entries = msg.request_headers!.headers!.headers;
  t.ok(entries.every((e) => e.value === '' && e.raw_value.length > 0), 'values as bytes');
  t.same(entries.slice(0, 4).map((e) => e.key), [':method', ':path', ':authority', ':scheme']);
  t.match(headersOf(msg), { ':method': 'GET', ':path': '/api/v1/validate?x=1', 'x-agent': 'a1' });
  t.equal(headersOf(rig.proc!.streams[0]![1]!)[':status'], '200');
});

t.test('harness: ext_proc CONTINUE_AND_REPLACE replaces the body from a headers response and drops content-length', async (t) => {
  const script: Script = (m, r) => {
    const p = phaseOf(m);
    if (p !== 'request_headers') return r.send(passThrough(p));
    r.send({ request_headers: { response: { status: 'CONTINUE_AND_REPLACE', body_mutation: { body: Buffer.from('replaced body') } } } });
  };
  const rig = await startRig({ proc: script, extProc: { processingMode: { ...BUFFERED_REQ } } });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x', { body: 'original' });
  t.equal(res.status, 200);
  t.equal(rig.upstream.received[0]!.body.toString(), 'replaced body');
  t.equal(rig.upstream.received[0]!.headers['content-length'], '13', 'the length of what was sent, not the stale one');
  t.same(rig.proc!.streams[0]!.map((m) => m.request), ['request_headers', 'response_headers'], 'no request_body message after a replace');
});

t.test('harness: ext_proc body mutation in a headers response without CONTINUE_AND_REPLACE is ignored', async (t) => {
  const script: Script = (m, r) => {
    const p = phaseOf(m);
    if (p !== 'request_headers') return r.send(passThrough(p));
    r.send({ request_headers: { response: { body_mutation: { body: Buffer.from('ignored') } } } });
  };
  const rig = await startRig({ proc: script });
  t.teardown(() => rig.stop());
  await rig.call('/x', { body: 'original' });
  t.equal(rig.upstream.received[0]!.body.toString(), 'original');
});

t.test('harness: ext_proc buffered body mutation with a stale content-length → 500; with a fixed one → forwarded', async (t) => {
  const masking = (fixLength: boolean): Script => (m, r) => {
    const p = phaseOf(m);
    if (p !== 'request_body') return r.send(passThrough(p));
    const body = Buffer.from('[REDACTED:secret]');
    r.send({ request_body: { response: { body_mutation: { body }, ...(fixLength ? { header_mutation: { set_headers: [setHeader('content-length', String(body.length))] } } : {}) } } });
  };
  const stale = await startRig({ proc: masking(false), extProc: { processingMode: { ...BUFFERED_REQ } } });
  t.teardown(() => stale.stop());
  const res = await stale.call('/x', { body: 'password=hunter2' });
  t.equal(res.status, 500);
  t.equal(stale.upstream.received.length, 0, 'nothing forwarded');
  t.same(stale.door.localReplies.at(-1), { status: 500, details: 'mismatch_between_content_length_and_the_length_of_the_mutated_body' });

  const fixed = await startRig({ proc: masking(true), extProc: { processingMode: { ...BUFFERED_REQ } } });
  t.teardown(() => fixed.stop());
  t.equal((await fixed.call('/x', { body: 'password=hunter2' })).status, 200);
  t.equal(fixed.upstream.received[0]!.body.toString(), '[REDACTED:secret]');

  const removed: Script = (m, r) => {
    const p = phaseOf(m);
    if (p !== 'request_body') return r.send(passThrough(p));
    r.send({ request_body: { response: { header_mutation: { remove_headers: ['content-length'] }, body_mutation: { body: Buffer.from('short') } } } });
  };
  const noLength = await startRig({ proc: removed, extProc: { processingMode: { ...BUFFERED_REQ } } });
  t.teardown(() => noLength.stop());
  t.equal((await noLength.call('/x', { body: 'a longer body' })).status, 200, 'removing content-length is also correct');
  t.equal(noLength.upstream.received[0]!.body.toString(), 'short');
});

t.test('harness: ext_proc response body mutation reaches the client', async (t) => {
  const script: Script = (m, r) => {
    const p = phaseOf(m);
    if (p === 'response_headers') return r.send({ response_headers: { response: { header_mutation: { remove_headers: ['content-length'] } } } });
    if (p === 'response_body') return r.send({ response_body: { response: { body_mutation: { body: Buffer.from('{"masked":true}') } } } });
    r.send(passThrough(p));
  };
  const rig = await startRig({ proc: script, extProc: { processingMode: { request_header_mode: 'SEND', response_header_mode: 'SEND', request_body_mode: 'NONE', response_body_mode: 'BUFFERED' } } });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x');
  t.equal(res.body, '{"masked":true}');
});

t.test('harness: ext_proc set_headers without append overwrite; protected headers refused; :path may be set', async (t) => {
  const script: Script = (m, r) => {
    const p = phaseOf(m);
    if (p !== 'request_headers') return r.send(passThrough(p));
    r.send({
      request_headers: {
        response: {
          header_mutation: {
            set_headers: [
              { header: { key: 'dd-api-key', raw_value: Buffer.from('injected') } },
              setHeader('host', 'evil.example'),
              setHeader(':authority', 'evil.example'),
              setHeader(':method', 'DELETE'),
              setHeader('x-envoy-retry-on', '5xx'),
              setHeader(':path', '/api/v1/series'),
            ],
            remove_headers: ['x-agent', 'x-envoy-keep'],
          },
        },
      },
    });
  };
  const rig = await startRig({ proc: script });
  t.teardown(() => rig.stop());
  await rig.call('/api/v1/series?api_key=leaked', { body: '{}', headers: { 'dd-api-key': 'agent-key', 'x-agent': 'a', 'x-envoy-keep': 'k' } });
  const got = rig.upstream.received[0]!;
  t.equal(got.headers['dd-api-key'], 'injected', 'overwritten, not appended to the agent key');
  t.equal(got.headers.host, 'main.upstream');
  t.equal(got.method, 'POST');
  t.equal(got.headers['x-envoy-retry-on'], undefined);
  t.equal(got.headers['x-envoy-keep'], 'k', 'x-envoy-* cannot be removed either');
  t.equal(got.headers['x-agent'], undefined);
  t.equal(got.path, '/api/v1/series');
});
