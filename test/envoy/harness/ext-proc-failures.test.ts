import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { passThrough, phaseOf, setHeader, startRig } from '../../helpers/scripted-servers.js';

// ext_proc.cc: each message must be answered within message_timeout (504 per-message timeout with
// failure_mode_allow false); override_message_timeout restarts the timer once per message, within
// [1 ms, max_message_timeout] (0 → disabled); an answer of the wrong kind is a spurious message:
// Envoy closes the stream and goes on without the processor, whatever failure_mode_allow says
// (onReceiveMessage, FailedPrecondition); a stream error → 500 ext_proc_error_gRPC_error_<code>; immediate_response ends the request with its status,
// headers and body, and the upstream is not called.

const slowAfter = (ms: number, phase = 'request_headers') => (m: Parameters<typeof phaseOf>[0], r: { send(res: object): void }) => {
  const p = phaseOf(m);
  if (p === phase) setTimeout(() => r.send(passThrough(p)), ms);
  else r.send(passThrough(p));
};

t.test('harness: ext_proc message timeout → 504, upstream not called', async (t) => {
  const rig = await startRig({ proc: () => undefined, extProc: { messageTimeoutMs: 100 } });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x');
  t.equal(res.status, 504);
  t.equal(rig.upstream.received.length, 0);
  t.same(rig.door.localReplies.at(-1), { status: 504, details: 'ext_proc_error_per-message_timeout_exceeded' });
});

// Where a phase must be answered in time, the timeout leaves room for a new gRPC channel on a loaded
// machine (500 ms); the phase under test is late by far more.
t.test('harness: ext_proc timeout on a response phase → 504 after the upstream answered', async (t) => {
  const rig = await startRig({ proc: slowAfter(5_000, 'response_headers'), extProc: { messageTimeoutMs: 500 } });
  t.teardown(() => rig.stop());
  t.equal((await rig.call('/x')).status, 504);
  t.equal(rig.upstream.received.length, 1);
});

t.test('harness: ext_proc override_message_timeout extends the timer up to max_message_timeout', async (t) => {
  const extend = (ms: number) => (m: Parameters<typeof phaseOf>[0], r: { send(res: object): void }) => {
    const p = phaseOf(m);
    if (p !== 'request_headers') return r.send(passThrough(p));
    r.send({ override_message_timeout: { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 } });
    setTimeout(() => r.send(passThrough(p)), 1_200);
  };
  const within = await startRig({ proc: extend(5_000), extProc: { messageTimeoutMs: 500, maxMessageTimeoutMs: 10_000 } });
  t.teardown(() => within.stop());
  t.equal((await within.call('/x')).status, 200, 'extended to 5 s, answered at 1.2 s (past the 500 ms message timeout)');

  const beyond = await startRig({ proc: extend(20_000), extProc: { messageTimeoutMs: 500, maxMessageTimeoutMs: 10_000 } });
  t.teardown(() => beyond.stop());
  t.equal((await beyond.call('/x')).status, 504, 'an override above max_message_timeout is ignored');

  const disabled = await startRig({ proc: extend(5_000), extProc: { messageTimeoutMs: 500, maxMessageTimeoutMs: 0 } });
  t.teardown(() => disabled.stop());
  t.equal((await disabled.call('/x')).status, 504, 'max_message_timeout 0 disables overrides');
});

t.test('harness: ext_proc override_message_timeout counts once per message', async (t) => {
  const rig = await startRig({
    proc: (m, r) => {
      const p = phaseOf(m);
      if (p !== 'request_headers') return r.send(passThrough(p));
      r.send({ override_message_timeout: { nanos: 200e6 } });
      setTimeout(() => r.send({ override_message_timeout: { nanos: 900e6 } }), 150);
      setTimeout(() => r.send(passThrough(p)), 500);
    },
    extProc: { messageTimeoutMs: 100, maxMessageTimeoutMs: 1_000 },
  });
  t.teardown(() => rig.stop());
  t.equal((await rig.call('/x')).status, 504, 'the second override is ignored; 200 ms ran out');
});

t.test('harness: ext_proc answer of the wrong kind → the processor is dropped and the request goes on (Envoy 1.31)', async (t) => {
  const rig = await startRig({ proc: (m, r) => r.send(phaseOf(m) === 'request_headers' ? passThrough('request_body') : passThrough(phaseOf(m))) });
  t.teardown(() => rig.stop());
  t.equal((await rig.call('/x', { body: 'b' })).status, 200);
  t.equal(rig.upstream.received.length, 1);
  t.equal(rig.proc!.streams[0]!.length, 1, 'no further message is sent: not the body, not the response');
});

t.test('harness: ext_proc stream error → 500; failure_mode_allow continues without the processor', async (t) => {
  const failing = (m: Parameters<typeof phaseOf>[0], r: { fail(code: grpc.status): void }) => r.fail(grpc.status.INTERNAL);
  const closed = await startRig({ proc: failing });
  t.teardown(() => closed.stop());
  t.equal((await closed.call('/x')).status, 500);
  t.equal(closed.upstream.received.length, 0);
  t.same(closed.door.localReplies.at(-1), { status: 500, details: `ext_proc_error_gRPC_error_${grpc.status.INTERNAL}` });

  const open = await startRig({ proc: failing, extProc: { failureModeAllow: true } });
  t.teardown(() => open.stop());
  t.equal((await open.call('/x')).status, 200);
  t.equal(open.upstream.received.length, 1);
});

t.test('harness: ext_proc immediate_response ends the request; upstream not called', async (t) => {
  const rig = await startRig({
    proc: (_m, r) =>
      r.send({
        immediate_response: {
          status: { code: 403 },
          headers: { set_headers: [setHeader('content-type', 'application/json'), setHeader('x-envoy-upstream', 'no')] },
          body: Buffer.from('{"error":"no"}'),
          details: 'keyward_refused',
        },
      }),
  });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x', { body: 'b' });
  t.equal(res.status, 403);
  t.equal(res.body, '{"error":"no"}');
  t.equal(res.headers.get('content-type'), 'application/json');
  t.equal(res.headers.get('x-envoy-upstream'), null, 'immediate response headers obey the mutation rules');
  t.equal(rig.upstream.received.length, 0);
  t.equal(rig.proc!.streams[0]!.length, 1, 'no further message is sent');
  t.same(rig.door.localReplies.at(-1), { status: 403, details: 'keyward_refused' });
});

t.test('harness: ext_proc immediate_response without a valid status → 200', async (t) => {
  const rig = await startRig({ proc: (_m, r) => r.send({ immediate_response: { body: Buffer.from('hi') } }) });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x');
  t.equal(res.status, 200);
  t.equal(res.body, 'hi');
  t.equal(rig.upstream.received.length, 0);
});
