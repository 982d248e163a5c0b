import t from 'tap';
import { EXT_AUTHZ_NAMESPACE } from '../../../src/envoy/contract.js';
import { fromStruct, toStruct } from '../../../src/envoy/struct.js';
import type { CheckResponse } from '../../../proto/gen/envoy/service/auth/v3/CheckResponse.js';
import { passThrough, phaseOf, setHeader, startRig, type AuthzAnswer } from '../../helpers/scripted-servers.js';

// OkHttpResponse (external_auth.proto): headers added/overridden on the upstream request (`append`
// defaults to false there), headers_to_remove (never pseudo-headers or host), query parameters to
// remove/set, response_headers_to_add on the client's response; CheckResponse.dynamic_metadata lands
// under the ext_authz filter namespace, which ext_proc sees only when that namespace is forwarded.

const ok = (ok_response: NonNullable<CheckResponse['ok_response']>, extra: Partial<CheckResponse> = {}): AuthzAnswer => ({ response: { status: { code: 0 }, ok_response, ...extra } });

t.test('harness: ext_authz OK headers — set overwrites, append appends, ADD_IF_ABSENT keeps, remove drops', async (t) => {
  const rig = await startRig({
    proc: 'none',
    authz: () =>
      ok({
        headers: [
          { header: { key: 'x-set', value: 'new' } },
          { header: { key: 'x-append', value: 'two' }, append: { value: true } },
          setHeader('x-if-absent', 'ignored', 'ADD_IF_ABSENT'),
          setHeader('x-added', 'yes', 'ADD_IF_ABSENT'),
        ],
        headers_to_remove: ['authorization', 'x-envoy-original-path', 'host', ':path'],
      }),
  });
  t.teardown(() => rig.stop());
  const res = await rig.call('/p', { headers: { 'x-set': 'old', 'x-append': 'one', 'x-if-absent': 'kept', authorization: 'Bearer t', 'x-envoy-original-path': '/q' } });
  t.equal(res.status, 200);
  const h = rig.upstream.received[0]!.headers;
  t.equal(h['x-set'], 'new', 'a header with neither append nor append_action overwrites');
  t.equal(h['x-append'], 'one,two');
  t.equal(h['x-if-absent'], 'kept');
  t.equal(h['x-added'], 'yes');
  t.equal(h.authorization, undefined, 'headers_to_remove drops the agent token');
  t.equal(h['x-envoy-original-path'], undefined, 'ext_authz (no mutation rules) may remove x-envoy-*');
  t.equal(h.host, 'main.upstream', 'host is never removed');
  t.equal(rig.upstream.received[0]!.path, '/p', ':path is never removed');
});

t.test('harness: ext_authz query_parameters_to_remove and query_parameters_to_set rewrite the upstream path', async (t) => {
  const rig = await startRig({
    proc: 'none',
    authz: () => ok({ query_parameters_to_remove: ['api_key', 'application_key'], query_parameters_to_set: [{ key: 'source', value: 'gate' }] }),
  });
  t.teardown(() => rig.stop());
  await rig.call('/api/v1/series?api_key=k1&from=1&application_key=k2', { body: '{}' });
  t.equal(rig.upstream.received[0]!.path, '/api/v1/series?from=1&source=gate');
  await rig.call('/bare?api_key=k1', { body: '{}' });
  t.equal(rig.upstream.received[1]!.path, '/bare?source=gate');
  t.equal(rig.authz.calls[0]!.attributes?.request?.http?.path, '/api/v1/series?api_key=k1&from=1&application_key=k2', 'the Check saw the original path');
});

t.test('harness: ext_authz response_headers_to_add reach the client on upstream and local replies', async (t) => {
  const rig = await startRig({ authz: () => ok({ response_headers_to_add: [setHeader('x-request-id', 'r-1')] }), proc: (m, r) => r.send(passThrough(phaseOf(m))) });
  t.teardown(() => rig.stop());
  rig.upstream.respond = () => ({ status: 202, headers: { 'x-upstream': 'yes' }, body: '{}' });
  const res = await rig.call('/x');
  t.equal(res.status, 202);
  t.equal(res.headers.get('x-request-id'), 'r-1');
  t.equal(res.headers.get('x-upstream'), 'yes');
  t.equal(rig.upstream.received[0]!.headers['x-request-id'], undefined, 'not a request header');
  const missing = await rig.call('/x', { headers: { 'x-route-cluster': 'nowhere' } });
  t.equal(missing.status, 503);
  t.equal(missing.headers.get('x-request-id'), 'r-1', 'also on a local reply');
});

t.test('harness: dynamic metadata reaches ext_proc only for forwarded namespaces', async (t) => {
  const metadata = toStruct({ keyward: { request_id: 'r-9', subject: 'agent-1' } });
  const forwarded = await startRig({ authz: () => ok({}, { dynamic_metadata: metadata }), extProc: { forwardingNamespaces: [EXT_AUTHZ_NAMESPACE] } });
  t.teardown(() => forwarded.stop());
  await forwarded.call('/x');
  const first = forwarded.proc!.streams[0]![0]!;
  t.equal(phaseOf(first), 'request_headers');
  t.same(fromStruct(first.metadata_context?.filter_metadata[EXT_AUTHZ_NAMESPACE]), { keyward: { request_id: 'r-9', subject: 'agent-1' } });

  const notForwarded = await startRig({ authz: () => ok({}, { dynamic_metadata: metadata }), extProc: { forwardingNamespaces: [] } });
  t.teardown(() => notForwarded.stop());
  await notForwarded.call('/x');
  const msg = notForwarded.proc!.streams[0]![0]!;
  t.same(Object.keys(msg.metadata_context?.filter_metadata ?? {}), [], 'nothing forwarded without forwarding_namespaces');

  const other = await startRig({ authz: () => ok({}, { dynamic_metadata: metadata }), extProc: { forwardingNamespaces: ['envoy.filters.http.other'] } });
  t.teardown(() => other.stop());
  await other.call('/x');
  t.same(Object.keys(other.proc!.streams[0]![0]!.metadata_context?.filter_metadata ?? {}), [], 'only the namespaces listed');
});
