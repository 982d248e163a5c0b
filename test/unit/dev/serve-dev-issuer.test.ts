import t from 'tap';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { serveDevIssuer } from '../../../dev/serve-dev-issuer.js';

t.test('dev issuer service: serves discovery under the issuer URL it is told, and its tokens verify against its JWKS', async (t) => {
  const issuer = await serveDevIssuer(['--listen', '127.0.0.1:0', '--audience', 'keyward']);
  t.teardown(() => issuer.close());
  const discovery = (await (await fetch(`${issuer.issuer}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
  t.equal(discovery.issuer, issuer.issuer);
  const minted = (await (await fetch(`${issuer.issuer}/token?subject=demo-agent&groups=agents`, { method: 'POST' })).json()) as { access_token: string };
  const { payload } = await jwtVerify(minted.access_token, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: issuer.issuer, audience: 'keyward' });
  t.equal(payload.sub, 'demo-agent');
  t.same(payload.groups, ['agents']);
});

t.test('dev issuer service: an unknown flag is refused', async (t) => {
  await t.rejects(serveDevIssuer(['--listen', '127.0.0.1:0', '--bogus']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
});
