import { join } from 'node:path';
import { TLS_FIXTURES } from '../helpers/gate.js';
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { renderEnvoyConfig } from '../../src/cli/envoy.js';
import { AUTHZ_CLUSTER, PROC_CLUSTER } from '../../src/envoy/bootstrap.js';
import { parseConfig } from '../../src/config/load.js';
import { decodeYamlStrict } from '../helpers/envoy-proto.js';
import { clustersOf, list, obj, type Node } from '../helpers/envoy-bootstrap-view.js';

/*
 * There is no Docker engine on our machines: docker-compose.yml, the Dockerfile and the files they mount are
 * checked statically, as an operator's reviewer would read them.
 */
const compose = obj(parse(readFileSync('docker-compose.yml', 'utf8'), { uniqueKeys: true }));
const services = obj(compose.services);
const service = (name: string): Node => obj(services[name]);
const dockerfile = readFileSync('Dockerfile', 'utf8');

/** `name:tag` with an explicit version (digits and dots), never `latest`. */
function pinnedVersion(image: string): string | undefined {
  const m = /^[a-z0-9./-]+:(v?\d+\.\d+(?:\.\d+)?(?:-[a-z0-9.]+)?)$/.exec(image);
  return m?.[1];
}

/** Host side of a bind mount `./a/b:/c:ro` → `a/b`. */
function mounts(svc: Node): Array<{ host: string; container: string }> {
  return list(svc.volumes)
    .map(String)
    .filter((v) => v.startsWith('./'))
    .map((v) => {
      const [host = '', container = ''] = v.split(':');
      return { host: host.slice(2), container };
    });
}

function strings(value: unknown, path = ''): Array<[string, string]> {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
  return [];
}

const DATADOG_KEY_LIKE = /\b(?:[0-9a-f]{32}|[0-9a-f]{40}|ddapp_[A-Za-z0-9_-]{20,})\b/i;

t.test('compose: the services, each image pinned to an explicit version', async (t) => {
  t.same(Object.keys(services).sort(), ['dev-issuer', 'envoy', 'keyward', 'migrate', 'postgres']);
  for (const [name, svc] of Object.entries(services)) {
    const image = String(obj(svc).image ?? '');
    t.ok(pinnedVersion(image), `${name}: image "${image}" pinned (no latest, explicit version)`);
  }
  t.match(service('envoy').image, /^envoyproxy\/envoy:v1\.31\.\d+$/, 'the official Envoy image, 1.31 like the protos');
  t.match(service('postgres').image, /^postgres:15\.\d+/);
  t.same(service('keyward').build, { context: '.', dockerfile: 'Dockerfile' }, 'keyward is built from the repository Dockerfile');
  t.same(service('dev-issuer').build, { context: '.', dockerfile: 'dev/issuer.Dockerfile' }, 'the dev issuer has an image of its own');
});

t.test('compose: ports — agents reach Envoy, admin only on loopback, keyward gRPC never published', async (t) => {
  t.same(service('envoy').ports, ['8080:8080']);
  const keywardPorts = list(service('keyward').ports).map(String);
  t.ok(keywardPorts.length > 0);
  for (const p of keywardPorts) t.match(p, /^127\.0\.0\.1:/, `${p} bound to loopback`);
  t.notOk(keywardPorts.some((p) => /:900[12]$/.test(p)), 'ext_authz/ext_proc stay inside the compose network');
  t.notOk(list(service('envoy').ports).some((p) => String(p).includes('9901')), 'Envoy admin is not published');
  t.equal(service('postgres').ports, undefined, 'Postgres is not published');
  t.same(service('dev-issuer').ports, ['127.0.0.1:9400:9400'], 'the dev issuer mints tokens on loopback only');
});

t.test('compose: healthchecks and start order', async (t) => {
  for (const name of ['envoy', 'keyward', 'postgres', 'dev-issuer']) {
    // (migrate is a one-shot job: it has no healthcheck, keyward waits for it to finish.)
    const hc = obj(service(name).healthcheck);
    t.ok(list(hc.test).length > 0, `${name} has a healthcheck`);
    t.ok(hc.interval && hc.timeout && hc.retries, `${name} healthcheck is bounded`);
  }
  t.match(list(obj(service('keyward').healthcheck).test).join(' '), /http:\/\/127\.0\.0\.1:9000\/healthz/);
  t.match(list(obj(service('postgres').healthcheck).test).join(' '), /pg_isready/);
  t.same(service('keyward').depends_on, { postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' }, 'dev-issuer': { condition: 'service_healthy' } });
  t.same(service('migrate').depends_on, { postgres: { condition: 'service_healthy' } });
  t.match(list(obj(service('dev-issuer').healthcheck).test).join(' '), /http:\/\/127\.0\.0\.1:9400\/\.well-known\/openid-configuration/);
  t.same(service('envoy').depends_on, { keyward: { condition: 'service_healthy' } });
  t.ok(list(service('postgres').volumes).some((v) => String(v).startsWith('pgdata:')), 'Postgres data on a named volume');
  t.ok('pgdata' in obj(compose.volumes));
});

t.test('compose: Envoy runs the tested bootstrap, wired to the keyward service', async (t) => {
  const envoy = service('envoy');
  const configPath = list(envoy.command).map(String)[list(envoy.command).indexOf('-c') + 1];
  const mount = mounts(envoy).find((m) => m.container === configPath);
  if (!t.ok(mount, `the config Envoy reads (${String(configPath)}) is mounted from the repository`) || !mount) return;
  t.equal(mount.host, 'envoy/envoy.compose.yaml', 'one of the bootstraps test/envoy/bootstrap.test.ts checks');
  const text = readFileSync(mount.host, 'utf8');
  t.equal(text, renderEnvoyConfig({ authz: 'keyward:9001', proc: 'keyward:9002' }));
  const { document } = decodeYamlStrict(text, 'envoy.config.bootstrap.v3.Bootstrap');
  const keywardConfig = obj(parse(readFileSync('envoy/keyward.compose.yaml', 'utf8')));
  const listen = obj(keywardConfig.listen);
  for (const [cluster, key] of [[AUTHZ_CLUSTER, 'authz'], [PROC_CLUSTER, 'proc']] as const) {
    const endpoint = obj(obj(list(obj(list(obj(clustersOf(document).get(cluster)?.load_assignment).endpoints)[0]).lb_endpoints)[0]).endpoint);
    const socket = obj(obj(endpoint.address).socket_address);
    t.equal(socket.address, 'keyward', `${cluster} addresses the compose service`);
    t.equal(`0.0.0.0:${String(socket.port_value)}`, listen[key], `${cluster} port = keyward listen.${key}`);
  }
});

t.test('compose: keyward runs the demo config, which the schema accepts', async (t) => {
  const mount = mounts(service('keyward')).find((m) => m.container === '/etc/keyward/keyward.yaml');
  t.equal(mount?.host, 'envoy/keyward.compose.yaml');
  t.same(service('keyward').command, ['node', 'bin/keyward.js', 'serve', '--config', '/etc/keyward/keyward.yaml']);
  // The secrets are files at run time; stand in syntactically valid fakes to validate the rest.
  const fakes: Record<string, string> = { dd_api_key: 'a'.repeat(32), dd_app_key: 'b'.repeat(40), keyward_db_password: 'not-a-real-password', audit_chain_key: 'c'.repeat(64) };
  // The mTLS files are mounted from deploy/tls (keyward dev certs); the test fixtures stand in.
  const text = readFileSync('envoy/keyward.compose.yaml', 'utf8')
    .replace(/\$\{file:\/run\/secrets\/([a-z_]+)\}/g, (_m, name: string) => fakes[name] ?? '?')
    .replace(/\$\{file:\/etc\/keyward\/tls\/([a-z.]+)\}/g, (_m, file: string) => `\${file:${join(TLS_FIXTURES, file)}}`);
  const config = parseConfig(text, 'envoy/keyward.compose.yaml', { env: { DD_SITE: 'datadoghq.com' } });
  t.same(config.identity.issuers.map((i) => i.issuer), ['http://dev-issuer:9400'], 'keyward trusts the dev-issuer service as an ordinary issuer');
  t.equal(config.connections.length, 1);
  t.equal(config.policy.default, 'deny');
  t.ok(config.listen.tls, 'the gRPC ports run mTLS');
  for (const [host, container] of [['deploy/tls/ca.crt', '/etc/envoy/keyward-tls/ca.crt'], ['deploy/tls/envoy.crt', '/etc/envoy/keyward-tls/envoy.crt'], ['deploy/tls/envoy.key', '/etc/envoy/keyward-tls/envoy.key']]) {
    t.ok(mounts(service('envoy')).some((m) => m.host === host && m.container === container), `Envoy gets ${host}`);
  }
  for (const f of ['server.crt', 'server.key', 'ca.crt']) t.ok(mounts(service('keyward')).some((m) => m.host === `deploy/tls/${f}` && m.container === `/etc/keyward/tls/${f}`), `keyward gets ${f}`);
  t.equal(config.database.migrate, false, 'serve does not migrate: it has no DDL rights');
  t.match(config.database.url, /^postgres:\/\/keyward_app:/, 'serve connects as the least-privilege login, not the owner');
  t.equal(config.audit.chain_key?.id, 'compose-1', 'the audit chain is keyed');
  t.equal(config.audit.witness.file, '/var/lib/keyward/witness.jsonl');
});

t.test('compose: least privilege — only the migrate job holds the owner password', async (t) => {
  t.notOk(list(service('keyward').secrets).includes('postgres_password'), 'keyward never sees the owner password');
  t.ok(list(service('migrate').secrets).includes('postgres_password'));
  t.same(service('migrate').command, ['node', 'bin/keyward.js', 'db', 'migrate', '--config', '/etc/keyward/migrate.yaml']);
  const mount = mounts(service('migrate')).find((m) => m.container === '/etc/keyward/migrate.yaml');
  t.equal(mount?.host, 'deploy/keyward-migrate.compose.yaml');
  const text = readFileSync(mount!.host, 'utf8').replace(/\$\{file:\/run\/secrets\/[a-z_]+\}/g, 'fake-password');
  const config = parseConfig(text, mount!.host, { env: {} });
  t.equal(config.database.grant_to, 'keyward_app', 'migrate grants the writer role to keyward\'s login');
  t.match(config.database.url, /^postgres:\/\/keyward_owner:/);
  t.not(String(obj(service('postgres').environment).POSTGRES_USER), 'keyward_app', 'the superuser is not the service login');
  const init = mounts(service('postgres')).find((m) => m.container === '/docker-entrypoint-initdb.d');
  t.equal(init?.host, 'deploy/postgres-init');
  t.match(readFileSync('deploy/postgres-init/10-keyward-app.sh', 'utf8'), /CREATE ROLE keyward_app LOGIN PASSWORD :'pw' NOSUPERUSER/);
});

t.test('compose: no secret is written inline', async (t) => {
  const keywardConfig = readFileSync('envoy/keyward.compose.yaml', 'utf8');
  const keyLike = [...strings(compose), ...strings(parse(keywardConfig))].filter(([, value]) => DATADOG_KEY_LIKE.test(value));
  t.same(keyLike, [], 'no Datadog-key-like value anywhere');
  const credentials = strings(parse(keywardConfig)).filter(([path]) => /(^|\.)(api_key|app_key|url|hmac_key)$/.test(path));
  t.ok(credentials.length >= 3);
  t.same(credentials.filter(([, value]) => !/\$\{(?:env|file):[^}]+\}/.test(value)), [], 'every credential is a ${env:} or ${file:} reference');
  for (const [name, svc] of Object.entries(services)) {
    for (const [key, value] of Object.entries(obj(obj(svc).environment))) {
      if (/KEY|SECRET|PASSWORD|TOKEN/i.test(key)) t.ok(key.endsWith('_FILE') || /^\$\{[A-Z_]+/.test(String(value)), `${name}: ${key} comes from a file or the operator's environment`);
    }
  }
  const secretFiles = Object.values(obj(compose.secrets)).map((s) => String(obj(s).file));
  t.ok(secretFiles.length >= 3);
  for (const file of secretFiles) t.match(file, /^\.\/deploy\/secrets\/[a-z_]+$/, `${file} lives in the ignored secrets folder`);
  t.equal(readFileSync('deploy/secrets/.gitignore', 'utf8').split('\n').filter((l) => !l.startsWith('#') && l).join(' '), '* !.gitignore');
  t.match(readFileSync('.dockerignore', 'utf8'), /^deploy\/secrets$/m, 'secret files never enter the build context');
});

t.test('compose: the dev issuer runs from its own Dockerfile, with the issuer URL keyward trusts; the product image carries no dev/', async (t) => {
  const issuerDockerfile = readFileSync('dev/issuer.Dockerfile', 'utf8');
  t.match(/^FROM\s+(\S+)/m.exec(issuerDockerfile)?.[1] ?? '', /^node:20\.\d+\.\d+-[a-z]+-slim$/);
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(issuerDockerfile)?.[1] ?? '[]') as string[];
  t.ok(existsSync(cmd.find((a) => a.endsWith('.ts')) ?? ''), 'its entry point exists');
  t.equal(cmd[cmd.indexOf('--issuer') + 1], 'http://dev-issuer:9400', 'tokens carry the issuer keyward trusts');
  t.equal(cmd[cmd.indexOf('--listen') + 1], '0.0.0.0:9400');
  t.notOk(/^COPY\s+dev\b/m.test(dockerfile), 'keyward\'s image copies nothing from dev/');
});

t.test('Dockerfile: pinned base, production install, non-root, healthcheck, serve command', async (t) => {
  const from = /^FROM\s+(\S+)/m.exec(dockerfile)?.[1] ?? '';
  t.match(from, /^node:20\.\d+\.\d+-[a-z]+-slim$/, `base image ${from} pinned to a Node 20 patch version`);
  t.match(dockerfile, /^RUN npm ci --omit=dev\b/m);
  const user = /^USER\s+(\S+)/m.exec(dockerfile)?.[1];
  t.ok(user && user !== 'root' && user !== '0', `runs as ${String(user)}`);
  t.match(dockerfile, /^HEALTHCHECK [\s\S]*http:\/\/127\.0\.0\.1:9000\/healthz/m);
  t.match(dockerfile, /^CMD \["node", "bin\/keyward\.js", "serve", "--config", "\/etc\/keyward\/keyward\.yaml"\]$/m);
  for (const line of dockerfile.split('\n').filter((l) => /^COPY /.test(l))) {
    const source = line.split(/\s+/)[1] ?? '';
    t.notOk(/secrets|\.env|^\.$/.test(source), `${line} copies no secrets and not the whole context`);
  }
  t.ok(existsSync('.dockerignore'));
  t.match(readFileSync('.dockerignore', 'utf8'), /^node_modules$/m);
});
