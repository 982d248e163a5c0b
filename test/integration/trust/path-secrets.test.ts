import t from 'tap';
import { KEYS } from '../../helpers/gate.js';
import { DASHBOARD, approvalConfig, approverCall } from '../../helpers/approvals.js';
import { auditRowOf, startPgStack, type PgStack } from '../../helpers/pg-stack.js';

const AWS = 'AKIAIOSFODNN7EXAMPLE';
let s: PgStack;
t.before(async () => {
  s = await startPgStack(t, (issuer) => {
    const c = approvalConfig(issuer, { hold: '200ms' });
    c.policy.rules.unshift({ name: 'reads', match: { class: 'read' }, action: 'allow' } as never);
    return c;
  });
});

const get = async (path: string) => {
  const res = await fetch(`${s.door.url}${path}`, { headers: { authorization: await s.bearer('agent-1', ['agents']) } });
  const text = await res.text();
  return { status: res.status, text, requestId: res.headers.get('x-keyward-request-id') ?? (JSON.parse(text) as { error?: { request_id?: string } }).error?.request_id ?? '' };
};
const storedPath = async (requestId: string) => (await auditRowOf<{ path: string }>(s, requestId, 'path'))?.path ?? '(no row)';
const everywhere = async (requestId: string) => {
  const rows = await s.db.pool.query(`SELECT row_to_json(c)::text AS j FROM "${s.db.schema}".calls c WHERE request_id = $1`, [requestId]);
  return rows.rows.map((r: { j: string }) => r.j).join('\n') + '\n' + s.tg.logs().join('\n');
};

const CASES: [string, string][] = [
  [`/api/v1/hosts/${AWS}`, 'a secret as a path segment'],
  [`/api/v1/hosts/${AWS.slice(0, 4)}%49${AWS.slice(5)}`, 'a percent-encoded secret in a (refused) path segment'],
  [`/api/v1/hosts?q=${AWS.slice(0, 4)}%49${AWS.slice(5)}`, 'a percent-encoded secret in the query'],
  [`/api/v1/hosts?filter=a;q=${AWS}`, 'a secret behind a ";" separator'],
  [`/api/v1/hosts?q=${encodeURIComponent('postgres://admin:hunter2secret@db.internal:5432/x')}`, 'an encoded password in a URL'],
];

for (const [path, what] of CASES) {
  t.test(`trust: ${what} is masked in the audit row (Postgres) and in every log line`, async (t) => {
    const res = await get(path);
    t.ok(res.requestId, `answered ${res.status}`);
    const stored = await storedPath(res.requestId);
    t.match(stored, /\[REDACTED:[a-z_]+\]/, `stored as ${stored}`);
    const all = await everywhere(res.requestId);
    for (const secret of [AWS, 'hunter2secret', 'AKIA%49OSFODNN7EXAMPLE']) t.notOk(all.includes(secret), `${secret} neither stored nor logged`);
    t.notOk(Object.values(KEYS).some((k) => res.text.includes(k) || all.includes(k)), 'no Datadog key anywhere');
  });
}

t.test('trust: a clean path is stored exactly as sent (separators, escapes, order)', async (t) => {
  const res = await get('/api/v1/monitor?filter=env%3Aprod;sort=name&flag');
  t.equal(res.status, 200, res.text);
  t.equal(await storedPath(res.requestId), '/api/v1/monitor?filter=env%3Aprod;sort=name&flag');
});

t.test('trust: an approval for `?a=1&b=2` is not consumed by `?a=1;b=2`', async (t) => {
  const post = async (query: string) => {
    const res = await fetch(`${s.door.url}/api/v1/dashboard?${query}`, { method: 'POST', headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json' }, body: DASHBOARD });
    return { status: res.status, json: (await res.json()) as { approval_id?: string } };
  };
  const first = await post('a=1&b=2');
  t.equal(first.status, 429, "held, never 2xx");
  t.equal((await approverCall(s, `/api/approvals/${first.json.approval_id!}/approve`, 'bob', ['sre'], { method: 'POST', body: {} })).status, 200);
  const other = await post('a=1;b=2');
  t.equal(other.status, 429, 'the ;-separated call waits for its own approval');
  t.not(other.json.approval_id, first.json.approval_id);
  t.equal(s.datadog.received.filter((r) => r.path.startsWith('/api/v1/dashboard')).length, 0, 'nothing forwarded yet');
  t.equal((await post('a=1&b=2')).status, 200, 'the approved call passes');
  const stored = await s.db.pool.query(`SELECT path FROM "${s.db.schema}".approvals WHERE id = $1`, [other.json.approval_id]);
  t.equal(stored.rows[0].path, '/api/v1/dashboard?a=1;b=2', 'the approval shows the path as sent');
});
