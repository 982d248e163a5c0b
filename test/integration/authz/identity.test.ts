import { generateKeyPair } from 'jose';
import t, { type Test } from "tap";
import { startDevIssuer, type DevIssuer } from '../../../dev/dev-issuer.js';
import { baseConfig, startTestGate, type TestGate } from '../../helpers/gate.js';
import { hmacWithPublicKey, unsignedToken } from '../../helpers/tokens.js';

let issuer: DevIssuer;
let other: DevIssuer;
let tg: TestGate;

t.before(async () => {
  issuer = await startDevIssuer();
  other = await startDevIssuer(); // a real issuer the gate does not trust
  const config = baseConfig([
    { issuer: issuer.issuer, name: 'main', max_token_age: '1h', clock_skew: '5s', jwks_cooldown: '0s' },
    { issuer: 'http://127.0.0.1:1/unreachable', jwks_timeout: '500ms' },
  ]);
  // Two issuers: each group names the one that asserts it.
  for (const c of config.connections as { groups: string[] }[]) c.groups = c.groups.map((g) => `main#${g}`);
  tg = await startTestGate(config);
});
t.teardown(async () => {
  await tg.stop();
  await issuer.close();
  await other.close();
});

async function expectRefusal(t: Test, authorization: string | undefined, code: string, http = 401) {
  const res = await tg.check({ method: 'POST', path: '/api/v2/series', headers: authorization === undefined ? {} : { authorization } });
  t.equal(res.status?.code, http === 503 ? 14 : 16, 'gRPC status');
  t.equal(res.denied_response?.status?.code, ({ 401: 'Unauthorized', 503: 'ServiceUnavailable' } as Record<number, string>)[http], 'HTTP status');
  const body = JSON.parse(res.denied_response?.body ?? '{}') as { error: { code: string; message: string; request_id: string } };
  t.equal(body.error.code, code, 'stable code');
  t.type(body.error.message, 'string');
  const token = authorization?.replace(/^\w+ /, '') ?? '';
  if (token.length > 0) t.notOk(res.denied_response!.body!.includes(token), 'token not echoed');
  t.notOk(tg.logs().some((line) => token.length > 8 && line.includes(token)), 'token never logged');
  const row = tg.audit.events.find((e) => e.request_id === body.error.request_id);
  t.ok(row, 'refusal audited');
  t.equal(row?.kind === 'call' ? row.reason_code : null, code, 'audit reason code');
  return body;
}

const now = () => Math.floor(Date.now() / 1000);

t.test('identity: no token → 401 token_missing', (t) => expectRefusal(t, undefined, 'token_missing').then(() => t.end()));
t.test('identity: not a bearer JWT → 401 token_malformed', async (t) => {
  await expectRefusal(t, 'Basic dXNlcjpwYXNz', 'token_malformed');
  await expectRefusal(t, 'Bearer not-a-jwt', 'token_malformed');
  await expectRefusal(t, 'Bearer aaaa.bbbb.cccc', 'token_malformed');
});
t.test('identity: signature by another key → 401 token_signature_invalid', async (t) => {
  const { privateKey } = await generateKeyPair('RS256');
  await expectRefusal(t, `Bearer ${await issuer.mint({ subject: 'a', key: privateKey })}`, 'token_signature_invalid');
});
t.test('identity: alg none → 401 token_alg_none', async (t) => {
  await expectRefusal(t, `Bearer ${unsignedToken({ iss: issuer.issuer, sub: 'a', aud: 'keyward', exp: now() + 60 })}`, 'token_alg_none');
});
t.test('identity: HS256 signed with the issuer public key (algorithm confusion) → 401 token_alg_not_allowed', async (t) => {
  const token = await hmacWithPublicKey(issuer.jwksUri, { iss: issuer.issuer, sub: 'a', aud: 'keyward', exp: now() + 60, groups: ['agents'] });
  await expectRefusal(t, `Bearer ${token}`, 'token_alg_not_allowed');
});
t.test('identity: expired → 401 token_expired', async (t) => {
  await expectRefusal(t, `Bearer ${await issuer.mint({ subject: 'a', iat: now() - 600, exp: now() - 60 })}`, 'token_expired');
});
t.test('identity: nbf in the future → 401 token_not_yet_valid', async (t) => {
  await expectRefusal(t, `Bearer ${await issuer.mint({ subject: 'a', nbf: now() + 300 })}`, 'token_not_yet_valid');
});
t.test('identity: issuer not configured → 401 token_issuer_unknown', async (t) => {
  await expectRefusal(t, `Bearer ${await other.mint({ subject: 'a', groups: ['agents'] })}`, 'token_issuer_unknown');
});
t.test('identity: wrong audience → 401 token_audience_invalid', async (t) => {
  await expectRefusal(t, `Bearer ${await issuer.mint({ subject: 'a', audience: 'someone-else' })}`, 'token_audience_invalid');
});
t.test('identity: iat older than max_token_age → 401 token_too_old', async (t) => {
  await expectRefusal(t, `Bearer ${await issuer.mint({ subject: 'a', iat: now() - 7200, exp: now() + 600 })}`, 'token_too_old');
});
t.test('identity: unknown kid is refused after one refetch → 401 token_kid_unknown', async (t) => {
  const before = issuer.jwksFetches();
  await expectRefusal(t, `Bearer ${await issuer.mint({ subject: 'a', kid: 'no-such-kid' })}`, 'token_kid_unknown');
  t.ok(issuer.jwksFetches() > before, 'the key set was fetched again before refusing');
});
t.test('identity: a key rotated at the issuer is picked up by refetch on its new kid', async (t) => {
  await issuer.rotate();
  const res = await tg.check({ method: 'POST', path: '/api/v2/series', headers: { authorization: `Bearer ${await issuer.mint({ subject: 'a', groups: ['agents'] })}` } });
  t.equal(res.status?.code, 0);
});
t.test('identity: issuer key set unreachable → 503 issuer_unavailable (fail closed)', async (t) => {
  const token = unsignedTokenFor('http://127.0.0.1:1/unreachable');
  await expectRefusal(t, `Bearer ${token}`, 'issuer_unavailable', 503);
});

/** A token that names the unreachable issuer and is RS256 in its header, so verification must fetch keys. */
function unsignedTokenFor(iss: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ iss, sub: 'a', aud: 'keyward', exp: now() + 60 })}.${Buffer.from('sig').toString('base64url')}`;
}
