import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { approvalConfig, createDashboard, waitForPending } from '../../helpers/approvals.js';
import { callback, PAGE_CLIENT, signIn, signInConfig, startSignIn, submitIssuerForm } from '../../helpers/approver-sign-in.js';
import { startPgStack, type PgStack } from '../../helpers/pg-stack.js';

// One stack for the file: every test opens its own approval or sign-in, so none depends on another.
let s: PgStack;
t.before(async () => {
  s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '1s' }, signInConfig(issuer)));
});

const admin = () => s.tg.gate.adminUrl;
let bodyN = 0;
/** A fresh held approval (a different body each time, so a new request). */
async function heldApproval(): Promise<string> {
  const before = (await waitForPending(s, 0)).length;
  await createDashboard(s, JSON.stringify({ title: `t${bodyN++}`, layout_type: 'ordered', widgets: [] }));
  const list = await waitForPending(s, before + 1);
  return list[0]!.id;
}
async function votes(id: string): Promise<number> {
  const r = await s.db.pool.query(`SELECT count(*)::int AS n FROM "${s.db.schema}".approval_votes WHERE approval_id = $1`, [id]);
  return (r.rows[0] as { n: number }).n;
}
const post = (id: string, action: string, headers: Record<string, string>, body: unknown = { reason: 'ok' }) =>
  fetch(`${admin()}/api/approvals/${id}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

t.test('sign-in: authorization code + PKCE at the issuer gives an HttpOnly, SameSite=Strict, bounded session and a CSRF token', async (t) => {
  const steps = await startSignIn(s);
  t.equal(steps.authorize.origin + steps.authorize.pathname, `${s.issuer.issuer}/authorize`, 'off to the issuer');
  t.equal(steps.authorize.searchParams.get('code_challenge_method'), 'S256');
  t.ok(steps.authorize.searchParams.get('code_challenge') && steps.authorize.searchParams.get('state') && steps.authorize.searchParams.get('nonce'), 'challenge, state and nonce');
  t.equal(steps.authorize.searchParams.get('client_id'), PAGE_CLIENT);
  t.equal(steps.authorize.searchParams.get('redirect_uri'), `${admin()}/approvals/callback`);
  t.match(steps.loginSetCookie, /HttpOnly/);
  t.match(steps.loginSetCookie, /SameSite=Lax/, 'the login cookie must survive the cross-site redirect back');
  const back = await callback(await submitIssuerForm(steps, 'bob', ['sre']), steps.loginCookie);
  t.equal(back.status, 302);
  t.equal(back.location, '/approvals');
  t.match(back.sessionSetCookie, /HttpOnly/);
  t.match(back.sessionSetCookie, /SameSite=Strict/);
  t.match(back.sessionSetCookie, /Max-Age=28800/, 'bounded by session_ttl (8h)');
  t.notMatch(back.sessionSetCookie, /Secure/, 'plain http here: Secure would drop the cookie');
  const value = back.session!.split('=')[1]!;
  t.ok(value.length >= 43, 'opaque random id');
  const row = await s.db.pool.query(`SELECT id_sha256 FROM "${s.db.schema}".approver_sessions WHERE id_sha256 = $1`, [createHash('sha256').update(value).digest('hex')]);
  t.equal(row.rowCount, 1, 'only the hash of the cookie is stored');
  const me = await fetch(`${admin()}/api/approvals/session`, { headers: { cookie: back.session! } });
  const body = (await me.json()) as { subject: string; groups: string[]; csrf_token: string; via: string };
  t.equal(body.subject, 'bob');
  t.same(body.groups, [`${s.issuer.issuer}#sre`], 'groups scoped by issuer, as for agents');
  t.equal(body.via, 'session');
  t.ok(body.csrf_token.length >= 43);
});

t.test('sign-in: the login remembers which approval to open (approve_url)', async (t) => {
  const id = await heldApproval();
  const steps = await startSignIn(s, `?approval=${id}`);
  const back = await callback(await submitIssuerForm(steps, 'bob', ['sre']), steps.loginCookie);
  t.equal(back.location, `/approvals#${id}`);
  const junk = await startSignIn(s, `?approval=${encodeURIComponent('https://evil.example/')}`);
  const back2 = await callback(await submitIssuerForm(junk, 'bob', ['sre']), junk.loginCookie);
  t.equal(back2.location, '/approvals', 'anything but an approval id is not a place to return to');
});

t.test('sign-in attacker: a callback whose state is not this browser’s is refused (login CSRF), and so is a replay', async (t) => {
  const mine = await startSignIn(s);
  const theirs = await startSignIn(s);
  const theirCallback = await submitIssuerForm(theirs, 'mallory', ['sre']);
  const swapped = await callback(theirCallback, mine.loginCookie);
  t.equal(swapped.status, 400);
  t.equal(swapped.json?.error.code, 'sign_in_failed');
  t.equal(swapped.session, null, 'no session');
  const noCookie = await callback(theirCallback, null);
  t.equal(noCookie.json?.error.code, 'sign_in_failed', 'no login cookie at all');
  const ok = await callback(theirCallback, theirs.loginCookie);
  t.equal(ok.status, 302, 'the right browser still signs in');
  const replay = await callback(theirCallback, theirs.loginCookie);
  t.equal(replay.json?.error.code, 'sign_in_failed', 'a used state is gone');
});

t.test('sign-in attacker: a wrong PKCE verifier is refused by the issuer, and keyward gives no session', async (t) => {
  const steps = await startSignIn(s);
  // The code is bound to another challenge: keyward's verifier no longer matches it.
  const other = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const back = await callback(await submitIssuerForm(steps, 'bob', ['sre'], { code_challenge: other }), steps.loginCookie);
  t.equal(back.status, 400);
  t.equal(back.json?.error.code, 'sign_in_failed');
  t.equal(back.session, null);
  // And the issuer itself refuses a wrong verifier.
  const direct = await startSignIn(s);
  const cb = await submitIssuerForm(direct, 'bob', ['sre']);
  const res = await fetch(`${s.issuer.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: cb.searchParams.get('code')!, client_id: PAGE_CLIENT, redirect_uri: `${admin()}/approvals/callback`, code_verifier: 'x'.repeat(43) }),
  });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: 'invalid_grant' });
});

t.test('sign-in attacker: an ID token with another nonce is refused', async (t) => {
  const steps = await startSignIn(s);
  const back = await callback(await submitIssuerForm(steps, 'bob', ['sre'], { nonce: 'not-the-one-keyward-sent' }), steps.loginCookie);
  t.equal(back.json?.error.code, 'sign_in_failed');
  t.equal(back.session, null);
});

t.test('session attacker: decisions without the CSRF token, from another origin, or cross-site are refused, and no vote is recorded', async (t) => {
  const id = await heldApproval();
  const { cookie, csrf } = await signIn(s, 'bob', ['sre']);
  const cases: [string, Record<string, string>, number, string][] = [
    ['no CSRF token', { cookie }, 403, 'csrf_invalid'],
    ['wrong CSRF token', { cookie, 'x-keyward-csrf': 'A'.repeat(43) }, 403, 'csrf_invalid'],
    ['foreign Origin', { cookie, 'x-keyward-csrf': csrf, origin: 'https://evil.example' }, 403, 'csrf_invalid'],
    ['cross-site fetch metadata', { cookie, 'x-keyward-csrf': csrf, 'sec-fetch-site': 'cross-site' }, 403, 'csrf_invalid'],
    // What a cross-site form gets with SameSite=Strict: no cookie at all.
    ['cross-site, cookie-less', { origin: 'https://evil.example', 'x-keyward-csrf': csrf }, 401, 'session_missing'],
  ];
  for (const [name, headers, status, code] of cases) {
    const res = await post(id, 'approve', headers);
    t.equal(res.status, status, name);
    t.equal(((await res.json()) as { error: { code: string } }).error.code, code, name);
  }
  t.equal(await votes(id), 0, 'nothing was recorded');
  const ok = await post(id, 'approve', { cookie, 'x-keyward-csrf': csrf, origin: admin(), 'sec-fetch-site': 'same-origin' });
  t.equal(ok.status, 200, 'the page itself may');
  t.equal(await votes(id), 1);
});

t.test('session attacker: a forged, expired or signed-out session is refused', async (t) => {
  const id = await heldApproval();
  const forged = await post(id, 'approve', { cookie: `keyward_session=${randomBytes(32).toString('base64url')}`, 'x-keyward-csrf': 'x' });
  t.equal(forged.status, 401);
  t.equal(((await forged.json()) as { error: { code: string } }).error.code, 'session_invalid');

  const old = await signIn(s, 'bob', ['sre']);
  await s.db.pool.query(`UPDATE "${s.db.schema}".approver_sessions SET expires_at = now() - interval '1 second' WHERE id_sha256 = $1`, [createHash('sha256').update(old.cookie.split('=')[1]!).digest('hex')]);
  const expired = await post(id, 'approve', { cookie: old.cookie, 'x-keyward-csrf': old.csrf });
  t.equal(((await expired.json()) as { error: { code: string } }).error.code, 'session_invalid', 'expired');

  const live = await signIn(s, 'bob', ['sre']);
  const out = await fetch(`${admin()}/api/approvals/session`, { method: 'DELETE', headers: { cookie: live.cookie, 'x-keyward-csrf': live.csrf } });
  t.equal(out.status, 204);
  t.match(out.headers.get('set-cookie'), /Max-Age=0/, 'the browser drops it');
  const after = await post(id, 'approve', { cookie: live.cookie, 'x-keyward-csrf': live.csrf });
  t.equal(((await after.json()) as { error: { code: string } }).error.code, 'session_invalid', 'signed out');
  t.equal(await votes(id), 0);
});

t.test('approvals API: a denial without a reason explains itself; bearer tokens (the CLI) still work beside sessions', async (t) => {
  const id = await heldApproval();
  const token = await s.issuer.mint({ subject: 'carol', groups: ['sre'] });
  const bare = await post(id, 'deny', { authorization: `Bearer ${token}` }, { reason: '  ' });
  t.equal(bare.status, 400);
  const body = (await bare.json()) as { error: { code: string; message: string } };
  t.equal(body.error.code, 'approval_reason_required');
  t.match(body.error.message, /needs a reason/);
  t.equal(await votes(id), 0);
  const withReason = await post(id, 'deny', { authorization: `Bearer ${token}` }, { reason: 'not during the freeze' });
  t.equal(withReason.status, 200, 'a bearer token needs no CSRF token: it is not ambient');
  t.match(await withReason.json(), { status: 'denied', deny_reason: 'not during the freeze' });
});

t.test('approvals API: nobody signed in → session_missing, and the page learns sign-in is available', async (t) => {
  const res = await fetch(`${admin()}/api/approvals?status=pending`);
  t.equal(res.status, 401);
  t.match(await res.json(), { error: { code: 'session_missing', sign_in: true } });
});

t.test('sign-in failure in a browser: a page with the code and a way back, not JSON; the issuer\'s own error is named, never echoed raw', async (t) => {
  const steps = await startSignIn(s);
  const theirs = await startSignIn(s);
  const html = { accept: 'text/html,application/xhtml+xml' };
  const swapped = await fetch(await submitIssuerForm(theirs, 'mallory', ['sre']), { redirect: 'manual', headers: { ...html, cookie: steps.loginCookie } });
  t.equal(swapped.status, 400);
  t.match(swapped.headers.get('content-type'), /^text\/html/);
  t.match(swapped.headers.get('content-security-policy'), /default-src 'self'/, 'the page headers');
  const page = await swapped.text();
  t.match(page, '<h1>Sign-in failed</h1>');
  t.match(page, '<code>sign_in_failed</code>: state does not match this browser');
  t.match(page, 'href="/approvals/login"', 'a way back');
  t.ok(swapped.headers.getSetCookie().some((c) => /^keyward_login=;/.test(c)), 'the login cookie is cleared');

  // The person cancels at the issuer: it sends the browser back with ?error= and no code.
  const back = new URL(`${admin()}/approvals/callback`);
  back.searchParams.set('state', steps.authorize.searchParams.get('state')!);
  back.searchParams.set('error', 'access_denied');
  const cancelled = await fetch(back, { redirect: 'manual', headers: { ...html, cookie: steps.loginCookie } });
  t.equal(cancelled.status, 400);
  t.match(await cancelled.text(), 'the issuer answered access_denied');
  const again = await startSignIn(s);
  const hostile = new URL(back);
  hostile.searchParams.set('state', again.authorize.searchParams.get('state')!);
  hostile.searchParams.set('error', '<script>alert(1)</script>');
  const res = await fetch(hostile, { redirect: 'manual', headers: { ...html, cookie: again.loginCookie } });
  const text = await res.text();
  t.notMatch(text, '<script>', 'nothing of the issuer\'s text reaches the page');
  t.match(text, 'the issuer answered an error');
  const json = await fetch(hostile, { redirect: 'manual', headers: { cookie: again.loginCookie } });
  t.equal(((await json.json()) as { error: { code: string } }).error.code, 'sign_in_failed', 'a script (no text/html) still gets JSON');
});
