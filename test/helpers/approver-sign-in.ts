import type { PgStack } from './pg-stack.js';

export const PAGE_CLIENT = 'keyward-approvals';

/** approvalConfig's `extra` for a page signing in at the stack's dev issuer. */
export function signInConfig(issuer: string, more: Record<string, unknown> = {}) {
  return { approvals: { sign_in: { issuer, client_id: PAGE_CLIENT, ...more } } };
}

export interface SignInSteps {
  /** The issuer's authorize URL keyward redirected to. */
  authorize: URL;
  /** The login cookie (name=value) keyward set for the callback. */
  loginCookie: string;
  loginSetCookie: string;
}

const cookiePair = (setCookie: string) => setCookie.split(';')[0]!;

/** Step 1: GET /approvals/login as a browser would (redirects not followed). */
export async function startSignIn(s: PgStack, query = ''): Promise<SignInSteps> {
  const res = await fetch(`${s.tg.gate.adminUrl}/approvals/login${query}`, { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  const set = res.headers.get('set-cookie') ?? '';
  return { authorize: new URL(res.headers.get('location')!), loginCookie: cookiePair(set), loginSetCookie: set };
}

/** Step 2: the approver submits the dev issuer's form; `tamper` changes what the issuer is asked. Returns the callback URL. */
export async function submitIssuerForm(steps: SignInSteps, subject: string, groups: string[], tamper: Record<string, string> = {}): Promise<URL> {
  const form = new URLSearchParams(steps.authorize.searchParams);
  form.set('subject', subject);
  form.set('groups', groups.join(','));
  for (const [k, v] of Object.entries(tamper)) form.set(k, v);
  const res = await fetch(new URL('/authorize', steps.authorize), { method: 'POST', body: form, redirect: 'manual' });
  if (res.status !== 302) throw new Error(`issuer answered ${res.status}`);
  return new URL(res.headers.get('location')!);
}

/** Step 3: the browser follows the redirect back, with whatever cookie it has. */
export async function callback(url: URL, cookie: string | null) {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const setCookies = res.headers.getSetCookie();
  const session = setCookies.find((c) => c.startsWith('keyward_session=') && !c.startsWith('keyward_session=;'));
  return { status: res.status, location: res.headers.get('location'), setCookies, session: session ? cookiePair(session) : null, sessionSetCookie: session ?? null, json: res.status === 302 ? null : ((await res.json()) as { error: { code: string } }) };
}

/** The whole sign-in; returns the session cookie (name=value) and the page's CSRF token. */
export async function signIn(s: PgStack, subject: string, groups: string[]): Promise<{ cookie: string; csrf: string }> {
  const steps = await startSignIn(s);
  const back = await callback(await submitIssuerForm(steps, subject, groups), steps.loginCookie);
  if (!back.session) throw new Error(`sign-in failed: ${JSON.stringify(back.json)}`);
  const me = await fetch(`${s.tg.gate.adminUrl}/api/approvals/session`, { headers: { cookie: back.session } });
  const body = (await me.json()) as { csrf_token: string };
  return { cookie: back.session, csrf: body.csrf_token };
}
