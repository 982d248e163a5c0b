import { randomUUID } from 'node:crypto';
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

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID().slice(0, 8);
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/**
 * A minimal OIDC issuer for demos and tests: discovery document, JWKS, and a token endpoint that
 * mints RS256 tokens for any subject. It exists so `npm start` needs no identity provider; the
 * config enables it only under identity.dev_issuer, never by default.
 */
export async function startDevIssuer(listen = '127.0.0.1:0', defaultAudience = 'keyward', publicUrl?: string): Promise<DevIssuer> {
  const keys: SigningKey[] = [await newKey()];
  let fetches = 0;
  let base = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer: base, jwks_uri: `${base}/jwks`, token_endpoint: `${base}/token`, id_token_signing_alg_values_supported: ['RS256'], grant_types_supported: ['client_credentials'] });
    }
    if (req.method === 'GET' && url.pathname === '/jwks') {
      fetches++;
      return json(200, { keys: keys.map((k) => k.publicJwk) });
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      const subject = url.searchParams.get('subject') ?? 'demo-agent';
      const groups = (url.searchParams.get('groups') ?? 'agents').split(',').filter(Boolean);
      mint({ subject, groups }).then((token) => json(200, { access_token: token, token_type: 'Bearer', expires_in: 600 }));
      return;
    }
    json(404, { error: 'not_found' });
  });
  const i = listen.lastIndexOf(':');
  await new Promise<void>((resolve) => server.listen(Number(listen.slice(i + 1)), listen.slice(0, i), resolve));
  const addr = server.address() as AddressInfo;
  base = publicUrl ?? `http://${addr.address}:${addr.port}`;

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
