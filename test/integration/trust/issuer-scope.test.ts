import t, { type Test } from 'tap';
import { startDevIssuer, type DevIssuer } from '../../../dev/dev-issuer.js';
import { KEYS } from '../../helpers/gate.js';
import { DASHBOARD } from '../../helpers/approvals.js';
import { auditRowOf, startPgStack, type PgStack } from '../../helpers/pg-stack.js';

// Issuer A ("corp", the stack's issuer) and issuer B ("partner"), both trusted, both minting `agents` and `leads`.
let partner: DevIssuer;
let s: PgStack;

t.before(async () => {
  partner = await startDevIssuer();
  s = await startPgStack(t, (corp) => ({
    identity: {
      issuers: [
        { issuer: corp, name: 'corp', audiences: ['keyward'], owner_claim: 'owner' },
        { issuer: partner.issuer, name: 'partner', audiences: ['keyward'], max_token_lifetime: '1h' },
      ],
    },
    connections: [
      { name: 'prod', site: 'datadoghq.com', api_key: '${env:DD_PROD_API}', app_key: '${env:DD_PROD_APP}', groups: ['corp#agents'] },
      // The URL form names the same kind of scope.
      { name: 'eu', site: 'datadoghq.eu', api_key: '${env:DD_EU_API}', app_key: '${env:DD_EU_APP}', groups: [`${partner.issuer}#agents`] },
    ],
    policy: {
      rules: [
        { name: 'reads', match: { class: 'read' }, action: 'allow' },
        { name: 'changes', match: { class: 'config-change', groups: ['corp#agents'] }, action: 'require_approval', approval: { approvers: ['corp#leads'], hold: '200ms', ttl: '10m' } },
      ],
    },
  }));
});
t.teardown(() => partner.close());

const call = async (token: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
  const res = await fetch(`${s.door.url}${path}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers }, ...(init.body ? { body: init.body } : {}) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as { error?: { code: string; request_id: string }; approval_id?: string } };
};
const reasonOf = (requestId: string) => auditRowOf<{ reason_code: string; issuer: string; connection: string | null }>(s, requestId, 'reason_code, issuer, connection');
const noKeyIn = (t: Test, text: string) => t.notOk(Object.values(KEYS).some((k) => text.includes(k)), 'no Datadog key in the answer');

t.test('trust: issuer B\'s `agents` does not use issuer A\'s connection (connection_none / connection_not_allowed)', async (t) => {
  const before = s.datadog.received.length;
  const token = await partner.mint({ subject: 'intruder', groups: ['agents', 'leads'] });
  // B's agents reach their own connection…
  const own = await call(token, '/api/v1/monitor', { headers: { 'x-keyward-connection': 'eu' } });
  t.equal(own.status, 200, 'B agents use B connection');
  // …and never A's, chosen or not.
  const named = await call(token, '/api/v1/monitor', { headers: { 'x-keyward-connection': 'prod' } });
  t.equal(named.status, 403);
  t.equal(named.json.error?.code, 'connection_not_allowed');
  noKeyIn(t, named.text);
  t.match(await reasonOf(named.json.error!.request_id), { reason_code: 'connection_not_allowed', issuer: partner.issuer, connection: null }, 'refusal audited in Postgres');
  t.equal(s.datadog.received.length, before + 1, 'only the allowed call reached Datadog');
  t.ok(s.datadog.received.slice(before).every((r) => r.headers['dd-api-key'] === KEYS.euApi), 'and it carried B connection key, never prod');
  // A's agents keep working.
  const a = await call(await s.issuer.mint({ subject: 'agent-1', groups: ['agents'] }), '/api/v1/monitor');
  t.equal(a.status, 200, 'A agents use A connection');
});

t.test('trust: a rule naming corp#agents does not match issuer B\'s agents', async (t) => {
  const token = await partner.mint({ subject: 'intruder', groups: ['agents'] });
  const res = await call(token, '/api/v1/dashboard', { method: 'POST', headers: { 'x-keyward-connection': 'eu' }, body: DASHBOARD });
  t.equal(res.status, 403, 'not even held for approval: the rule is for A agents only');
  t.equal(res.json.error?.code, 'policy_denied');
});

t.test('trust: issuer B\'s `leads` cannot see or approve issuer A\'s held call; A\'s leads can', async (t) => {
  const agent = await s.issuer.mint({ subject: 'agent-1', groups: ['agents'], extra: { owner: 'owner-alice' } });
  const held = await call(agent, '/api/v1/dashboard', { method: 'POST', body: DASHBOARD });
  t.equal(held.status, 429, "held, never 2xx");
  const id = held.json.approval_id!;
  const admin = (token: string, path: string, method = 'GET') =>
    fetch(`${s.tg.gate.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) }).then(async (r) => ({ status: r.status, json: (await r.json()) as { error?: { code: string }; approvals?: { id: string }[]; status?: string } }));
  const outsider = await partner.mint({ subject: 'mallory', groups: ['leads'] });
  t.same((await admin(outsider, '/api/approvals?status=pending')).json.approvals, [], 'B leads see nothing');
  t.equal((await admin(outsider, `/api/approvals/${id}`)).json.error?.code, 'approval_forbidden');
  const vote = await admin(outsider, `/api/approvals/${id}/approve`, 'POST');
  t.equal(vote.status, 403);
  t.equal(vote.json.error?.code, 'approval_forbidden');
  const votes = await s.db.pool.query(`SELECT count(*)::int AS n FROM "${s.db.schema}".approval_votes WHERE approval_id = $1`, [id]);
  t.equal(votes.rows[0].n, 0, 'no vote recorded');
  const retry = await call(agent, '/api/v1/dashboard', { method: 'POST', body: DASHBOARD });
  t.equal(retry.status, 429, 'still held');
  t.equal(s.datadog.received.filter((r) => r.path === '/api/v1/dashboard').length, 0, 'nothing forwarded');
  const lead = await s.issuer.mint({ subject: 'bob', groups: ['leads'] });
  t.equal((await admin(lead, `/api/approvals/${id}/approve`, 'POST')).json.status, 'approved', 'A leads approve');
});

t.test('trust: a token issued in the future (beyond skew) → 401 token_not_yet_valid, never a key', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const token = await s.issuer.mint({ subject: 'agent-1', groups: ['agents'], iat: now + 3600, nbf: now - 10, exp: now + 7200 });
  const res = await call(token, '/api/v1/monitor');
  t.equal(res.status, 401);
  t.equal(res.json.error?.code, 'token_not_yet_valid');
  noKeyIn(t, res.text);
  t.match(await reasonOf(res.json.error!.request_id), { reason_code: 'token_not_yet_valid' });
  const skewed = await s.issuer.mint({ subject: 'agent-1', groups: ['agents'], iat: now + 5, nbf: now - 10 });
  t.equal((await call(skewed, '/api/v1/monitor')).status, 200, 'within clock_skew (30 s) it passes');
});

t.test('trust: max_token_lifetime refuses a token valid for longer (exp - iat) → 401 token_lifetime_too_long', async (t) => {
  const long = await partner.mint({ subject: 'bot', groups: ['agents'], ttl: 2 * 3600 });
  const res = await call(long, '/api/v1/monitor', { headers: { 'x-keyward-connection': 'eu' } });
  t.equal(res.status, 401);
  t.equal(res.json.error?.code, 'token_lifetime_too_long');
  noKeyIn(t, res.text);
  const now = Math.floor(Date.now() / 1000);
  const short = await partner.mint({ subject: 'bot', groups: ['agents'], iat: now, exp: now + 3600 });
  t.equal((await call(short, '/api/v1/monitor', { headers: { 'x-keyward-connection': 'eu' } })).status, 200, 'an hour is allowed');
});
