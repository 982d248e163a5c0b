import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { CLUSTER_HEADER } from '../src/envoy/contract.js';
import { DATADOG_SITES, clusterName, siteHost, type HostRole } from '../src/config/sites.js';
import { startDevIssuer } from './dev-issuer.js';
import { startFakeDatadog } from './fake-datadog.js';
import { startFrontDoor } from './front-door.js';
import { envoyYamlFrontDoor, type UpstreamCluster } from './options.js';
import { serve, stopOnSignals } from '../src/cli/serve.js';
import { embeddedUrl } from '../src/db/embedded.js';
import type { KeywardConfig } from '../src/config/load.js';

/** Where the demo's dev OIDC issuer listens; the demo config trusts it as an ordinary issuer. */
const ISSUER_LISTEN = '127.0.0.1:9400';

const DEMO_CONFIG = `# keyward demo configuration, written by \`npm start\` (dev/demo.ts).
# Datadog keys are referenced, never inline: these point at random fake keys under demo-secrets/,
# which the local fake Datadog accepts. Point them at real keys and run \`keyward serve\` behind
# Envoy (envoy/envoy.yaml) for the real thing.
listen:
  authz: 127.0.0.1:9001
  proc: 127.0.0.1:9002
  admin: 127.0.0.1:9000
database:
  data_dir: __DATA_DIR__        # embedded Postgres; set DATABASE_URL or database.url for a real server
identity:
  issuers:
    # The demo's dev OIDC issuer (dev/dev-issuer.ts), started by \`npm start\` beside the gate: it mints
    # tokens for any agent. Replace it with your identity provider for anything but a demo.
    - issuer: http://__ISSUER_LISTEN__
      audiences: [keyward]
connections:
  - name: demo
    site: datadoghq.com
    api_key: \${file:demo-secrets/api_key}
    app_key: \${file:demo-secrets/app_key}
    groups: [agents]
policy:
  default: deny
  rules:
    - { name: telemetry, match: { class: telemetry-write }, action: allow }
    - { name: reads, match: { class: read }, action: allow }
    - name: changes-need-a-human
      match: { class: config-change }
      action: require_approval
      approval: { approvers: [sre], min_approvals: 1, hold: 25s }
    - { name: no-destructive, match: { class: [destructive, credential-admin] }, action: deny }
approvals:
  # The approvals page signs approvers in at the dev issuer (its form accepts any name and groups).
  sign_in: { issuer: http://__ISSUER_LISTEN__, client_id: keyward-approvals }
masking:
  style: redact
logging:
  level: info
`;

function prepareDemo(dir: string): string {
  mkdirSync(join(dir, 'demo-secrets'), { recursive: true });
  const secret = (name: string, bytes: number) => {
    const path = join(dir, 'demo-secrets', name);
    if (!existsSync(path)) writeFileSync(path, randomBytes(bytes).toString('hex') + '\n', { mode: 0o600 });
    return readFileSync(path, 'utf8').trim();
  };
  secret('api_key', 16);
  secret('app_key', 20);
  const configPath = join(dir, 'demo.yaml');
  // Absolute, so the audit commands the banner prints work from any folder (a relative data_dir is
  // resolved from the current one).
  if (!existsSync(configPath)) writeFileSync(configPath, DEMO_CONFIG.replace('__DATA_DIR__', JSON.stringify(join(dir, 'pg'))).replaceAll('__ISSUER_LISTEN__', ISSUER_LISTEN));
  return configPath;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('Run the whole gate locally: embedded Postgres, dev OIDC issuer, an Envoy stand-in and a fake Datadog.')
    .option('--dir <dir>', 'working folder for the demo config, secrets and database', '.keyward')
    .option('--listen <host:port>', 'address of the front door agents call', '127.0.0.1:8080')
    .addHelpText(
      'after',
      `
This is what \`npm start\` runs. Nothing leaves the machine: the "Datadog" behind the gate is a
local fake that checks the keys it receives, like Datadog does. The config is written to
<dir>/demo.yaml on first run; edit it and the gate reloads it live.`,
    )
    .action(async (opts: { dir: string; listen: string }) => {
      const dir = resolve(opts.dir);
      const configPath = prepareDemo(dir);
      process.stderr.write(`keyward demo: starting (config ${configPath}; first start initialises the embedded Postgres, ~10 s)\n`);
      const issuer = await startDevIssuer(ISSUER_LISTEN, 'keyward');
      const running = await serve(configPath).catch(async (e: unknown) => {
        await issuer.close();
        throw e;
      });
      const connection = running.gate.config.current().config.connections[0]!;
      const datadog = await startFakeDatadog({ apiKeys: [connection.api_key], appKeys: connection.app_key ? [connection.app_key] : [], listen: '127.0.0.1:0' });
      const clusters: Record<string, UpstreamCluster> = {};
      for (const site of DATADOG_SITES) for (const role of ['api', 'logs', 'events'] as HostRole[]) clusters[clusterName(site, role)] = { url: datadog.url, hostRewrite: siteHost(site, role) };
      const door = await startFrontDoor(envoyYamlFrontDoor(opts.listen, running.gate.authzAddress, running.gate.procAddress, clusters, CLUSTER_HEADER));
      const token = await issuer.mint({ subject: 'demo-agent', groups: ['agents'], ttl: 3600 });
      const config = running.gate.config.current().config;
      process.stdout.write(banner(door.url, running.gate.adminUrl, issuer.issuer, token, dir, { approver: approverGroup(config), psql: psqlLine(config) }));
      stopOnSignals(async () => {
        await door.close();
        await datadog.close();
        await running.stop();
        await issuer.close();
      });
    });
}

/** The first approver group the demo's policy names, so the printed approver token can actually approve. */
function approverGroup(config: KeywardConfig): string {
  // Compiled approver groups are scoped by issuer (`<issuer>#<group>`); the token asks for the bare group.
  for (const r of config.policy.rules) if (r.action === 'require_approval' && r.approval?.approvers[0]) return r.approval.approvers[0].split('#').pop()!;
  return 'sre';
}

/** A psql line into the audit tables: the embedded cluster's URL, or $DATABASE_URL when a real server is used. */
function psqlLine(config: KeywardConfig): string {
  const db = config.database;
  const options = `options=-csearch_path%3D${db.schema}`;
  if (db.url === undefined && !process.env.DATABASE_URL) return `psql '${embeddedUrl(db.embedded_port)}?${options}'`;
  return `PGOPTIONS='-csearch_path=${db.schema}' psql "$DATABASE_URL"`;
}

function banner(url: string, admin: string, issuer: string, token: string, dir: string, extra: { approver: string; psql: string }): string {
  return `
keyward is up (demo).
  agents call      ${url}            (an Envoy stand-in: ext_authz -> ext_proc -> fake Datadog)
  admin            ${admin}/healthz  /readyz
  dev OIDC issuer  ${issuer}     (POST ${issuer}/token?subject=NAME&groups=a,b mints a token)

A token for agent "demo-agent" (group "agents"), valid 1 h:
  export TOKEN=${token}

Send a metric (allowed, the demo key is injected):
  curl -si -X POST ${url}/api/v2/series -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"series":[{"metric":"demo.cpu","type":3,"points":[{"timestamp":'$(date +%s)',"value":0.5}]}]}'

Send a log with a secret in it (masked before "Datadog" and before the audit row):
  curl -si -X POST ${url}/api/v2/logs -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '[{"message":"retrying with AWS key AKIAIOSFODNN7EXAMPLE for jane@example.com","service":"demo"}]'

Delete a monitor (denied by policy):
  curl -si -X DELETE ${url}/api/v1/monitor/1 -H "authorization: Bearer $TOKEN"

Approve or deny a held change (rule changes-need-a-human) on the approvals page:
  ${admin}/approvals
  Sign in there: the dev issuer's form takes any name; give the group "${extra.approver}".
From the CLI or curl instead, an approver token (valid 10 min; \`keyward approvals --help\`):
  curl -s -X POST '${issuer}/token?subject=alice&groups=${extra.approver}'

What happened, from the audit trail (\`keyward\` on PATH: \`npm link\` in this checkout, see README):
  keyward audit search --config ${dir}/demo.yaml
or in the database itself (tables calls, approvals, approval_events):
  ${extra.psql}

Reload the config after editing ${dir}/demo.yaml (it also reloads on save):
  kill -HUP ${process.pid}

Ctrl-C stops everything.
`;
}

// `npm start` runs this file: the demo is a development tool beside the product, not a keyward command.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await demoCommand().parseAsync(process.argv);
