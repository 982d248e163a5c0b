import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { OK, setHeader, startRig } from '../../helpers/scripted-servers.js';

// Envoy's ext_authz filter (ext_authz.proto): a service that errors or does not answer within the
// grpc_service timeout yields status_on_error (default 403), unless failure_mode_allow lets the
// request through. A denial carries the denied_response's status, headers and body to the client.

t.test('harness: ext_authz timeout → status_on_error, upstream not called', async (t) => {
  const rig = await startRig({ authz: () => ({ hang: true }), extAuthz: { timeoutMs: 100, statusOnError: 503 } });
  t.teardown(() => rig.stop());
  const started = Date.now();
  const res = await rig.call('/api/v1/validate');
  t.equal(res.status, 503);
  t.ok(Date.now() - started < 2_000, 'the filter gave up at its timeout');
  t.equal(rig.upstream.received.length, 0);
  t.same(rig.door.localReplies.at(-1), { status: 503, details: 'ext_authz_error' });
});

t.test('harness: ext_authz status_on_error defaults to 403', async (t) => {
  const rig = await startRig({ authz: () => ({ hang: true }), extAuthz: { timeoutMs: 50 } });
  t.teardown(() => rig.stop());
  t.equal((await rig.call('/x')).status, 403);
});

t.test('harness: ext_authz gRPC error → status_on_error', async (t) => {
  const rig = await startRig({ authz: () => ({ grpcError: grpc.status.UNAVAILABLE }), extAuthz: { statusOnError: 503 } });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x');
  t.equal(res.status, 503);
  t.equal(rig.upstream.received.length, 0);
});

t.test('harness: ext_authz unreachable → status_on_error', async (t) => {
  const rig = await startRig({ extAuthz: { statusOnError: 503 } });
  t.teardown(() => rig.stop());
  await rig.authz.close();
  t.equal((await rig.call('/x')).status, 503);
});

t.test('harness: ext_authz failure_mode_allow lets the request through on error; deny mode refuses it', async (t) => {
  const allow = await startRig({ authz: () => ({ grpcError: grpc.status.INTERNAL }), extAuthz: { failureModeAllow: true }, proc: 'none' });
  t.teardown(() => allow.stop());
  const res = await allow.call('/through');
  t.equal(res.status, 200);
  t.equal(allow.upstream.received[0]?.path, '/through');

  const deny = await startRig({ authz: () => ({ grpcError: grpc.status.INTERNAL }), extAuthz: { failureModeAllow: false }, proc: 'none' });
  t.teardown(() => deny.stop());
  t.equal((await deny.call('/through')).status, 403);
  t.equal(deny.upstream.received.length, 0);
});

t.test('harness: ext_authz failure_mode_allow does not turn a denial into an allow', async (t) => {
  const rig = await startRig({ authz: () => ({ response: { status: { code: 7 } } }), extAuthz: { failureModeAllow: true } });
  t.teardown(() => rig.stop());
  t.equal((await rig.call('/x')).status, 403);
  t.equal(rig.upstream.received.length, 0);
});

t.test('harness: ext_authz denied_response status, headers and body reach the client', async (t) => {
  const body = JSON.stringify({ error: { code: 'policy_denied' } });
  const rig = await startRig({
    authz: () => ({
      response: {
        status: { code: 7 },
        denied_response: { status: { code: 429 }, headers: [setHeader('content-type', 'application/json'), setHeader('x-reason', 'budget')], body },
      },
    }),
  });
  t.teardown(() => rig.stop());
  const res = await rig.call('/api/v1/monitor/1', { method: 'DELETE' });
  t.equal(res.status, 429);
  t.equal(res.headers.get('content-type'), 'application/json');
  t.equal(res.headers.get('x-reason'), 'budget');
  t.equal(res.body, body);
  t.equal(rig.upstream.received.length, 0);
});

t.test('harness: ext_authz denial without an HTTP status → 403 (DeniedHttpResponse default)', async (t) => {
  const rig = await startRig({ authz: () => ({ response: { status: { code: 16 }, denied_response: { body: 'who are you' } } }) });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x');
  t.equal(res.status, 403);
  t.equal(res.body, 'who are you');
  const bare = await startRig({ authz: () => ({ response: { status: { code: 7 } } }) });
  t.teardown(() => bare.stop());
  t.equal((await bare.call('/x')).status, 403);
});

t.test('harness: ext_authz OK with no mutations forwards the request unchanged', async (t) => {
  const rig = await startRig({ authz: () => OK, proc: 'none' });
  t.teardown(() => rig.stop());
  const res = await rig.call('/api/v1/series?a=1', { body: '{"series":[]}', headers: { 'x-agent': 'a1' } });
  t.equal(res.status, 200);
  const got = rig.upstream.received[0]!;
  t.equal(got.path, '/api/v1/series?a=1');
  t.equal(got.headers['x-agent'], 'a1');
  t.equal(got.headers.host, 'main.upstream', 'the cluster host rewrite applies');
  t.equal(got.body.toString(), '{"series":[]}');
});
