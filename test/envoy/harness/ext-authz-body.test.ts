import t from 'tap';
import { OK, startRig } from '../../helpers/scripted-servers.js';

// BufferSettings (ext_authz.proto): with_request_body sends the buffered body in the Check with an
// `x-envoy-auth-partial-body: false|true` header; past max_request_bytes the filter answers 413
// without calling the service, unless allow_partial_message sends the first max_request_bytes.
// pack_as_bytes puts it in raw_body, else in the UTF-8 `body` string.

const big = 'x'.repeat(100);

t.test('harness: ext_authz without with_request_body sends no body', async (t) => {
  const rig = await startRig({ proc: 'none' });
  t.teardown(() => rig.stop());
  await rig.call('/x', { body: big });
  const http = rig.authz.calls[0]!.attributes!.request!.http!;
  t.equal(http.body, '');
  t.equal(http.raw_body.length, 0);
  t.equal(http.headers['x-envoy-auth-partial-body'], undefined);
  t.equal(rig.upstream.received[0]!.body.toString(), big, 'the upstream still gets the whole body');
});

t.test('harness: ext_authz with_request_body within the limit → whole body, partial false', async (t) => {
  const rig = await startRig({ proc: 'none', extAuthz: { withRequestBody: { maxRequestBytes: 1000, allowPartialMessage: false, packAsBytes: true } } });
  t.teardown(() => rig.stop());
  await rig.call('/x', { body: big });
  const http = rig.authz.calls[0]!.attributes!.request!.http!;
  t.equal(Buffer.from(http.raw_body).toString(), big);
  t.equal(http.headers['x-envoy-auth-partial-body'], 'false');
});

t.test('harness: ext_authz with_request_body over the limit with allow_partial_message → truncated, partial true', async (t) => {
  const rig = await startRig({ proc: 'none', extAuthz: { withRequestBody: { maxRequestBytes: 10, allowPartialMessage: true, packAsBytes: false } } });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x', { body: big });
  t.equal(res.status, 200);
  const http = rig.authz.calls[0]!.attributes!.request!.http!;
  t.equal(http.body, 'x'.repeat(10), 'without pack_as_bytes the body travels as a string');
  t.equal(http.raw_body.length, 0);
  t.equal(http.headers['x-envoy-auth-partial-body'], 'true');
  t.equal(rig.upstream.received[0]!.body.length, 100, 'the upstream gets the whole body');
  t.notOk('x-envoy-auth-partial-body' in rig.upstream.received[0]!.headers, 'the flag is for the Check only');
});

t.test('harness: ext_authz with_request_body over the limit without allow_partial_message → 413, no Check', async (t) => {
  const rig = await startRig({ authz: () => OK, proc: 'none', extAuthz: { withRequestBody: { maxRequestBytes: 10, allowPartialMessage: false, packAsBytes: true } } });
  t.teardown(() => rig.stop());
  const res = await rig.call('/x', { body: big });
  t.equal(res.status, 413);
  t.equal(rig.authz.calls.length, 0, 'the service is not asked');
  t.equal(rig.upstream.received.length, 0);
  const exact = await rig.call('/x', { body: 'y'.repeat(10) });
  t.equal(exact.status, 200, 'a body of exactly max_request_bytes fits');
});
