import t from 'tap';
import { CLUSTER_HEADER, passThrough, phaseOf, setHeader, startRig } from '../../helpers/scripted-servers.js';
import type { ProcessingRequest__Output } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcReplies } from '../../helpers/scripted-servers.js';

// route.proto cluster_header: the route takes its cluster from a request header; a name that matches
// no cluster is a 503 (router.cc: cluster_not_found); a request no route matches is a 404. Envoy picks the route before ext_proc runs and
// keeps it unless the processor sets clear_route_cache (CommonResponse) in the same response.

const pointTo = (cluster: string, clear: boolean) => (m: ProcessingRequest__Output, r: ProcReplies) => {
  const p = phaseOf(m);
  if (p !== 'request_headers') return r.send(passThrough(p));
  r.send({ request_headers: { response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, cluster)] }, clear_route_cache: clear } } });
};

t.test('harness: routing by cluster header', async (t) => {
  const rig = await startRig({ proc: 'none' });
  t.teardown(() => rig.stop());
  await rig.call('/a');
  await rig.call('/b', { headers: { [CLUSTER_HEADER]: 'other' } });
  t.same(rig.upstream.received.map((r) => r.path), ['/a']);
  t.same(rig.other.received.map((r) => r.path), ['/b']);
  t.equal(rig.other.received[0]!.headers.host, 'other.upstream', 'each cluster rewrites the host');
});

t.test('harness: a header changed by ext_proc reroutes only with clear_route_cache', async (t) => {
  const kept = await startRig({ proc: pointTo('other', false) });
  t.teardown(() => kept.stop());
  await kept.call('/a');
  t.equal(kept.upstream.received.length, 1, 'route picked before ext_proc stays');
  t.equal(kept.upstream.received[0]!.headers[CLUSTER_HEADER], 'other', 'though the header did change');

  const cleared = await startRig({ proc: pointTo('other', true) });
  t.teardown(() => cleared.stop());
  await cleared.call('/a');
  t.equal(cleared.upstream.received.length, 0);
  t.equal(cleared.other.received.length, 1, 'clear_route_cache re-picks the route');
});

t.test('harness: ext_proc can route a request that had no cluster header, with clear_route_cache', async (t) => {
  const rig = await startRig({ proc: pointTo('other', true) });
  t.teardown(() => rig.stop());
  const res = await rig.call('/a', { headers: { [CLUSTER_HEADER]: '' } });
  t.equal(res.status, 200);
  t.equal(rig.other.received.length, 1);
});

t.test('harness: unknown cluster → 503, no route → 404; upstream not called', async (t) => {
  const rig = await startRig({ proc: 'none' });
  t.teardown(() => rig.stop());
  const unknown = await rig.call('/a', { headers: { [CLUSTER_HEADER]: 'datadog_nowhere' } });
  t.equal(unknown.status, 503);
  t.same(rig.door.localReplies.at(-1), { status: 503, details: 'cluster_not_found' });
  const res = await fetch(`${rig.door.url}/a`);
  t.equal(res.status, 404);
  t.same(rig.door.localReplies.at(-1), { status: 404, details: 'route_not_found' });
  t.equal(rig.upstream.received.length + rig.other.received.length, 0);
});

t.test('harness: upstream unreachable → 503', async (t) => {
  const rig = await startRig({ proc: 'none' });
  t.teardown(() => rig.stop());
  await rig.upstream.close();
  t.equal((await rig.call('/a')).status, 503);
});
