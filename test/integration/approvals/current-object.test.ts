import t from 'tap';
import { approvalConfig, approverCall } from '../../helpers/approvals.js';
import { KEYS } from '../../helpers/gate.js';
import { startPgStack, type PgStack } from '../../helpers/pg-stack.js';

const put = async (s: PgStack, id: string, body: unknown) => {
  const res = await fetch(`${s.door.url}/api/v1/dashboard/${id}`, {
    method: 'PUT',
    headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { approval_id?: string };
};
const gets = (s: PgStack, id: string) => s.datadog.received.filter((r) => r.method === 'GET' && r.path === `/api/v1/dashboard/${id}`).length;

t.test('approvals: opening an update again (the page re-renders on every vote and retry) reads Datadog once', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  s.datadog.dashboards.set('d-1', { id: 'd-1', title: 'ops', layout_type: 'ordered', widgets: [] });
  const { approval_id } = await put(s, 'd-1', { title: 'ops v2', layout_type: 'ordered', widgets: [] });
  const open = () => approverCall(s, `/api/approvals/${approval_id!}`, 'bob', ['sre']);
  const views = await Promise.all([open(), open(), open()]);
  for (const v of views) t.match(v.json, { current: { state: 'shown' } });
  t.equal(gets(s, 'd-1'), 1, 'three concurrent opens share one GET');
  await open();
  t.equal(gets(s, 'd-1'), 1, 'and a re-open within the window reuses it');
  t.ok(s.datadog.received.filter((r) => r.method === 'GET').every((r) => r.headers['dd-api-key'] === KEYS.prodApi), "read with the connection's keys");
});

t.test('approvals: an unavailable current object is read again on the next open', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const { approval_id } = await put(s, 'd-404', { title: 'x', layout_type: 'ordered', widgets: [] });
  const open = () => approverCall(s, `/api/approvals/${approval_id!}`, 'bob', ['sre']);
  t.match((await open()).json, { current: { state: 'unavailable', reason: 'not_found' } });
  s.datadog.dashboards.set('d-404', { id: 'd-404', title: 'now here', layout_type: 'ordered', widgets: [] });
  t.match((await open()).json, { current: { state: 'shown' } }, 'the object that appeared is shown');
  t.equal(gets(s, 'd-404'), 2);
});
