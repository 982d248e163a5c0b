import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { LOCAL_REPLY_CODE } from '../../../src/envoy/local-replies.js';
import { passThrough, phaseOf, startRig } from '../../helpers/scripted-servers.js';

// envoy.yaml wraps the filters: local_reply_config rewrites every local reply whose response code
// details start with ext_authz_error or ext_proc_error into 503 with keyward's JSON error body
// (filter_manager.cc sendLocalReply runs the mappers, direct replies included), and the catch-all
// `unrouted` route answers a request that ext_proc gave no cluster. The front door does the same when
// gateReplies is on; every other reply (a keyward denial, an immediate response) is left alone.

const error = (body: string) => (JSON.parse(body) as { error: { code: string; message: string; request_id?: string } }).error;

t.test('gate replies: ext_authz unreachable → 503 gate_unavailable JSON with the request id', async (t) => {
  const rig = await startRig({ authz: () => ({ grpcError: grpc.status.UNAVAILABLE }), proc: 'none', extAuthz: { statusOnError: 503 }, gateReplies: true });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x', { headers: { 'x-request-id': 'envoy-req-1' } });
  t.equal(res.status, 503);
  t.equal(res.headers.get('content-type'), 'application/json');
  t.same(error(res.body), { code: LOCAL_REPLY_CODE, message: error(res.body).message, request_id: 'envoy-req-1' });
  t.same(rig.door.localReplies.at(-1), { status: 503, details: 'ext_authz_error' }, 'the details stay the filter\'s');
  t.equal(rig.upstream.received.length, 0);
});

t.test('gate replies: an ext_proc timeout or stream error → 503 gate_unavailable, not 504/500', async (t) => {
  const slow = await startRig({ proc: () => undefined, extProc: { messageTimeoutMs: 100 }, gateReplies: true });
  t.teardown(() => slow.stop());
  const timedOut = await slow.call('/x');
  t.equal(timedOut.status, 503);
  t.equal(error(timedOut.body).code, LOCAL_REPLY_CODE);
  t.same(slow.door.localReplies.at(-1), { status: 503, details: 'ext_proc_error_per-message_timeout_exceeded' });

  const failing = await startRig({ proc: (_m, r) => r.fail(grpc.status.INTERNAL), gateReplies: true });
  t.teardown(() => failing.stop());
  t.equal((await failing.call('/x')).status, 503);
});

t.test('gate replies: no cluster chosen → the unrouted route, 503 JSON; a denial or an immediate response is left alone', async (t) => {
  const rig = await startRig({
    authz: (req) => (req.attributes?.request?.http?.path === '/denied' ? { response: { status: { code: 7 }, denied_response: { status: { code: 403 }, body: '{"error":{"code":"policy_denied"}}' } } } : { response: { status: { code: 0 }, ok_response: {} } }),
    proc: (m, r) => (phaseOf(m) === 'request_headers' && m.request_headers?.headers?.headers?.some((h) => h.key === ':path' && Buffer.from(h.raw_value ?? '').toString() === '/refused') ? r.send({ immediate_response: { status: { code: 429 }, body: Buffer.from('slow down'), details: 'keyward_refused' } }) : r.send(passThrough(phaseOf(m)))),
    gateReplies: true,
  });
  t.teardown(() => rig.stop());
  const unrouted = await fetch(`${rig.door.url}/anything`);
  t.equal(unrouted.status, 503);
  t.equal(unrouted.headers.get('content-type'), 'application/json');
  t.equal(error(await unrouted.text()).code, LOCAL_REPLY_CODE);
  const denied = await rig.call('/denied');
  t.equal(denied.status, 403);
  t.equal(error(denied.body).code, 'policy_denied');
  const refused = await rig.call('/refused');
  t.equal(refused.status, 429);
  t.equal(refused.body, 'slow down');
  t.equal(rig.upstream.received.length, 0);
});
