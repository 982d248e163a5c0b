/**
 * Runs the dev OIDC issuer as a process of its own (docker-compose.yml's `dev-issuer` service):
 *   node --import tsx dev/serve-dev-issuer.ts --listen 0.0.0.0:9400 --issuer http://dev-issuer:9400
 * keyward trusts it like any issuer, through an ordinary `identity.issuers` entry. Demos only.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startDevIssuer, type DevIssuer } from './dev-issuer.js';

export async function serveDevIssuer(argv: readonly string[]): Promise<DevIssuer> {
  const { values } = parseArgs({
    args: [...argv],
    options: { listen: { type: 'string', default: '127.0.0.1:9400' }, issuer: { type: 'string' }, audience: { type: 'string', default: 'keyward' } },
    strict: true,
  });
  const issuer = await startDevIssuer(values.listen, values.audience, values.issuer);
  process.stderr.write(`dev OIDC issuer ${issuer.issuer} listening on ${values.listen} (demos only: it mints tokens for anyone)\n`);
  return issuer;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const issuer = await serveDevIssuer(process.argv.slice(2));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void issuer.close().then(() => process.exit(0)));
}
