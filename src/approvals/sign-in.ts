import type http from 'node:http';
import * as oidc from 'openid-client';
import type { Runtime } from '../config/compile.js';
import type { SignInConfig } from '../config/sections/approvals.js';
import { KeywardError } from '../errors.js';
import { scopedGroups } from '../identity/group-scope.js';
import type { IdentityVerifier } from '../identity/verify.js';
import { cookieNames, readCookie, setCookie } from './cookies.js';
import type { ApproverSession, SessionStore } from './sessions.js';

export interface SignInDeps {
  readonly sessions: SessionStore;
  readonly verify: IdentityVerifier;
  readonly runtime: () => Runtime;
  /** Base URL approvers reach the admin listener at (approvals.public_url, else the listener). */
  readonly publicUrl: () => string;
}

/** What an approval id looks like (a UUID); anything else is not a place to return to. */
const APPROVAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function redirectUri(signIn: SignInConfig, publicUrl: string): string {
  return signIn.redirect_url ?? `${publicUrl.replace(/\/$/, '')}/approvals/callback`;
}

export function cookiesSecure(signIn: SignInConfig, publicUrl: string): boolean {
  return signIn.cookie_secure ?? new URL(redirectUri(signIn, publicUrl)).protocol === 'https:';
}

/**
 * Approvers' sign-in: OIDC authorization code with PKCE (S256) through openid-client, a state bound
 * to this browser by a cookie, a nonce bound to the ID token, and an opaque session cookie. The ID
 * token is then verified like an agent's token (signature, issuer settings, groups scoped by issuer),
 * with the page's client id as the audience.
 */
export function createSignIn(deps: SignInDeps) {
  // Discovery per issuer and client, kept while the config says the same; a failure is not kept.
  let cached: { key: string; config: Promise<oidc.Configuration> } | null = null;

  function signInConfig(): SignInConfig {
    const s = deps.runtime().config.approvals.sign_in;
    if (!s) throw new KeywardError('sign_in_unconfigured');
    return s;
  }

  function clientConfig(s: SignInConfig): Promise<oidc.Configuration> {
    const key = JSON.stringify([s.issuer, s.client_id, s.client_secret ?? null]);
    if (cached?.key === key) return cached.config;
    const auth = s.client_secret ? oidc.ClientSecretPost(s.client_secret) : oidc.None();
    // Plain http is only for a local issuer (the demo's): openid-client refuses it otherwise.
    const insecure = new URL(s.issuer).protocol === 'http:';
    const config = oidc.discovery(new URL(s.issuer), s.client_id, undefined, auth, { timeout: 10, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) });
    const entry = { key, config };
    cached = entry;
    config.catch(() => {
      if (cached === entry) cached = null;
    });
    return config;
  }

  const names = (s: SignInConfig) => cookieNames(cookiesSecure(s, deps.publicUrl()));

  return {
    /** GET /approvals/login?approval=<id>: off to the issuer. */
    async login(res: http.ServerResponse, url: URL): Promise<void> {
      const s = signInConfig();
      const config = await clientConfig(s).catch(() => {
        throw new KeywardError('sign_in_failed', 'discovery failed');
      });
      const returnTo = url.searchParams.get('approval') ?? '';
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      await deps.sessions.startLogin(state, { codeVerifier, nonce, returnTo: APPROVAL_ID.test(returnTo) ? returnTo : '' }, s.login_timeout);
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri(s, deps.publicUrl()),
        scope: [...new Set(['openid', ...s.scopes])].join(' '),
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      const secure = cookiesSecure(s, deps.publicUrl());
      res.writeHead(302, {
        location: target.href,
        'cache-control': 'no-store',
        // Lax: the issuer's redirect back is a cross-site navigation, and this cookie must come with it.
        'set-cookie': setCookie(names(s).login, state, { secure, sameSite: 'Lax', maxAge: s.login_timeout / 1000 }),
      });
      res.end();
    },

    /** GET /approvals/callback?code&state: checks state (this browser's), PKCE, nonce, then the ID token. */
    async callback(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
      const s = signInConfig();
      const n = names(s);
      const secure = cookiesSecure(s, deps.publicUrl());
      const clearLogin = setCookie(n.login, '', { secure, sameSite: 'Lax', maxAge: 0 });
      const state = url.searchParams.get('state') ?? '';
      const mine = readCookie(req.headers.cookie, n.login);
      // A callback this browser did not start (login CSRF) or a replayed one: refused before the code is used.
      if (!state || mine !== state) throw new KeywardError('sign_in_failed', 'state does not match this browser', { headers: { 'set-cookie': clearLogin } });
      const login = await deps.sessions.takeLogin(state);
      if (!login) throw new KeywardError('sign_in_failed', 'unknown, used or expired state', { headers: { 'set-cookie': clearLogin } });
      // The issuer sent the browser back without a code (the person cancelled, or was not allowed).
      const refused = url.searchParams.get('error');
      if (refused !== null) throw new KeywardError('sign_in_failed', `the issuer answered ${/^[a-z_]{1,40}$/.test(refused) ? refused : 'an error'}`, { headers: { 'set-cookie': clearLogin } });
      let idToken: string | undefined;
      try {
        const config = await clientConfig(s);
        const current = new URL(redirectUri(s, deps.publicUrl()));
        current.search = url.search;
        const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: login.codeVerifier, expectedState: state, expectedNonce: login.nonce, idTokenExpected: true });
        idToken = tokens.id_token;
      } catch {
        throw new KeywardError('sign_in_failed', 'code exchange or ID token checks failed', { headers: { 'set-cookie': clearLogin } });
      }
      const runtime = deps.runtime();
      const issuer = runtime.config.identity.issuers.find((i) => i.issuer === s.issuer);
      if (!issuer || !idToken) throw new KeywardError('sign_in_failed', 'no ID token', { headers: { 'set-cookie': clearLogin } });
      const identity = await deps.verify(`Bearer ${idToken}`, [{ ...issuer, audiences: [s.client_id] }]).catch((e: unknown) => {
        throw new KeywardError('sign_in_failed', `ID token refused: ${(e as { code?: string }).code ?? 'unknown'}`, { headers: { 'set-cookie': clearLogin } });
      });
      const { cookie } = await deps.sessions.create({ subject: identity.subject, issuer: identity.issuer, groups: scopedGroups(identity) }, s.session_ttl);
      res.writeHead(302, {
        location: `/approvals${login.returnTo ? `#${login.returnTo}` : ''}`,
        'cache-control': 'no-store',
        'set-cookie': [clearLogin, setCookie(n.session, cookie, { secure, sameSite: 'Strict', maxAge: s.session_ttl / 1000 })],
      });
      res.end();
    },

    /** The session a request's cookie names, or null when it carries none; a dead one is refused. */
    async session(req: http.IncomingMessage): Promise<{ cookie: string; session: ApproverSession } | null> {
      const s = deps.runtime().config.approvals.sign_in;
      // Both names: a proxy may terminate TLS in front of a listener that believes it serves http.
      const cookie = readCookie(req.headers.cookie, cookieNames(true).session) ?? readCookie(req.headers.cookie, cookieNames(false).session);
      if (cookie === null) return null;
      if (!s) throw new KeywardError('session_invalid', 'sign-in is not configured');
      const session = await deps.sessions.get(cookie);
      if (!session) throw new KeywardError('session_invalid');
      return { cookie, session };
    },

    async logout(res: http.ServerResponse, cookie: string): Promise<void> {
      const s = signInConfig();
      await deps.sessions.end(cookie);
      res.writeHead(204, { 'cache-control': 'no-store', 'set-cookie': setCookie(names(s).session, '', { secure: cookiesSecure(s, deps.publicUrl()), sameSite: 'Strict', maxAge: 0 }) });
      res.end();
    },

    configured: () => deps.runtime().config.approvals.sign_in !== undefined,
  };
}

export type SignIn = ReturnType<typeof createSignIn>;
