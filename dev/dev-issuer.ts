import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface MintOptions {
  subject: string;
  groups?: string[];
  audience?: string | string[];
  /** Lifetime in seconds (default 600). */
  ttl?: number;
  extra?: JWTPayload;
  /** Override iat/nbf/exp (epoch seconds) to make old, future or expired tokens. */
  iat?: number;
  nbf?: number;
  exp?: number;
  /** Sign with a key that is not published (bad signature), or with a kid the JWKS lacks. */
  kid?: string;
  key?: CryptoKey;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  /** How many times the JWKS was fetched (to observe caching and refetch cooldowns). */
  readonly jwksFetches: () => number;
  mint(options: MintOptions): Promise<string>;
  /** Adds a new signing key; the next mint uses it (key rotation at the issuer). */
  rotate(): Promise<string>;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID().slice(0, 8);
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/**
 * A minimal OIDC issuer for demos and tests: discovery document, JWKS, a token endpoint that
 * mints RS256 tokens for any subject, and the authorization code flow with PKCE for the approvals page. It exists so `npm start` needs no identity provider; the
 * config enables it only under identity.dev_issuer, never by default.
 */
export async function startDevIssuer(listen = '127.0.0.1:0', defaultAudience = 'keyward', publicUrl?: string): Promise<DevIssuer> {
  const keys: SigningKey[] = [await newKey()];
  const codes = new Map<string, { clientId: string; redirectUri: string; challenge: string; nonce: string | null; subject: string; groups: string[]; expires: number }>();
  let fetches = 0;
  let base = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: base,
        jwks_uri: `${base}/jwks`,
        token_endpoint: `${base}/token`,
        authorization_endpoint: `${base}/authorize`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none', 'client_secret_post'],
        id_token_signing_alg_values_supported: ['RS256'],
        grant_types_supported: ['client_credentials', 'authorization_code'],
      });
    }
    if (url.pathname === '/authorize' && (req.method === 'GET' || req.method === 'POST')) {
      readForm(req).then((form) => authorize(res, req.method === 'GET' ? url.searchParams : form));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/jwks') {
      fetches++;
      return json(200, { keys: keys.map((k) => k.publicJwk) });
    }
    if (req.method === 'POST' && url.pathname === '/token' && req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      readForm(req).then((form) => {
        if (form.get('grant_type') !== 'authorization_code') return tokenFromQuery(url);
        return exchangeCode(form).then((r) => json(r.status, r.body));
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token') return tokenFromQuery(url);
    json(404, { error: 'not_found' });

    function tokenFromQuery(url: URL) {
      const subject = url.searchParams.get('subject') ?? 'demo-agent';
      const groups = (url.searchParams.get('groups') ?? 'agents').split(',').filter(Boolean);
      mint({ subject, groups }).then((token) => json(200, { access_token: token, token_type: 'Bearer', expires_in: 600 }));
    }
  });
  const i = listen.lastIndexOf(':');
  await new Promise<void>((resolve) => server.listen(Number(listen.slice(i + 1)), listen.slice(0, i), resolve));
  const addr = server.address() as AddressInfo;
  base = publicUrl ?? `http://${addr.address}:${addr.port}`;

  /**
   * The sign-in page of the authorization code flow: a form naming who signs in (any subject, any
   * groups: this is a demo issuer), then a redirect back with a one-time code bound to the client,
   * redirect URI, PKCE challenge (S256 only) and nonce.
   */
  function authorize(res: http.ServerResponse, p: URLSearchParams) {
    const html = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body);
    };
    const redirect = p.get('redirect_uri') ?? '';
    if (p.get('response_type') !== 'code' || !p.get('client_id') || !/^https?:\/\//.test(redirect)) return html(400, '<p>invalid_request: response_type=code, client_id and redirect_uri are required</p>');
    if (p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) return html(400, '<p>invalid_request: PKCE with S256 is required</p>');
    const subject = p.get('subject');
    if (subject === null) {
      const hidden = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']
        .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(p.get(k) ?? '')}">`)
        .join('');
      return html(200, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>dev issuer · sign in</title></head><body style="font:16px system-ui;margin:24px">
<h1 style="font-size:20px">Dev issuer · sign in</h1><p>Demo only: any name and groups are accepted.</p>
<form method="post" action="/authorize">${hidden}
<p><label>Subject <input name="subject" value="${escapeHtml(p.get('login_hint') ?? 'alice')}" autocomplete="username"></label></p>
<p><label>Groups <input name="groups" value="sre"></label></p>
<p><button type="submit">Sign in</button></p></form></body></html>`);
    }
    const code = randomUUID();
    codes.set(code, {
      clientId: p.get('client_id')!,
      redirectUri: redirect,
      challenge: p.get('code_challenge')!,
      nonce: p.get('nonce'),
      subject,
      groups: (p.get('groups') ?? '').split(/[\s,]+/).filter(Boolean),
      expires: Date.now() + 60_000,
    });
    const back = new URL(redirect);
    back.searchParams.set('code', code);
    if (p.get('state') !== null) back.searchParams.set('state', p.get('state')!);
    res.writeHead(302, { location: back.href });
    res.end();
  }

  async function exchangeCode(form: URLSearchParams): Promise<{ status: number; body: unknown }> {
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code); // one use, whatever happens next
    const invalid = (why: string) => ({ status: 400, body: { error: 'invalid_grant', error_description: why } });
    if (!grant || grant.expires < Date.now()) return invalid('unknown, used or expired code');
    if (form.get('client_id') !== grant.clientId || form.get('redirect_uri') !== grant.redirectUri) return invalid('client or redirect_uri differs');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return invalid('PKCE verifier does not match the challenge');
    const extra: JWTPayload = grant.nonce ? { nonce: grant.nonce } : {};
    const idToken = await mint({ subject: grant.subject, groups: grant.groups, audience: grant.clientId, extra: { ...extra, azp: grant.clientId, client_id: grant.clientId } });
    const accessToken = await mint({ subject: grant.subject, groups: grant.groups });
    return { status: 200, body: { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 600 } };
  }

  async function mint(o: MintOptions): Promise<string> {
    const key = keys[keys.length - 1]!;
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { groups: o.groups ?? [], client_id: `client-${o.subject}`, ...o.extra };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? key.kid, typ: 'JWT' })
      .setIssuer(base)
      .setSubject(o.subject)
      .setAudience(o.audience ?? defaultAudience)
      .setIssuedAt(o.iat ?? now)
      .setNotBefore(o.nbf ?? (o.iat ?? now))
      .setExpirationTime(o.exp ?? now + (o.ttl ?? 600))
      .setJti(randomUUID())
      .sign(o.key ?? key.privateKey);
  }

  return {
    issuer: base,
    jwksUri: `${base}/jwks`,
    jwksFetches: () => fetches,
    mint,
    async rotate() {
      const key = await newKey();
      keys.push(key);
      return key.kid;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
