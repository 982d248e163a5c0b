import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { DATADOG_SITES, type DatadogSite } from '../config/sites.js';
import { buildEnvoyBootstrap, ENVOY_DEFAULTS, type EnvoyBootstrapOptions } from '../envoy/bootstrap.js';

export { buildEnvoyBootstrap, ENVOY_DEFAULTS, type EnvoyBootstrapOptions } from '../envoy/bootstrap.js';

/** The command line that reproduces a rendering; written into the file's header. */
function commandLine(options: EnvoyBootstrapOptions): string {
  const parts = ['keyward envoy render'];
  if (options.sites) parts.push(`--sites ${options.sites.join(',')}`);
  if (options.authz) parts.push(`--authz ${options.authz}`);
  if (options.proc) parts.push(`--proc ${options.proc}`);
  if (options.listen) parts.push(`--listen ${options.listen}`);
  if (options.admin) parts.push(`--admin ${options.admin}`);
  if (options.authzTimeout) parts.push(`--authz-timeout ${options.authzTimeout}`);
  if (options.caFile) parts.push(`--ca-file ${options.caFile}`);
  if (options.keywardTls === null) parts.push('--keyward-plaintext');
  else if (options.keywardTls) {
    if (options.keywardTls.dir !== ENVOY_DEFAULTS.keywardTlsDir) parts.push(`--keyward-tls-dir ${options.keywardTls.dir}`);
    if (options.keywardTls.serverName !== ENVOY_DEFAULTS.keywardServerName) parts.push(`--keyward-server-name ${options.keywardTls.serverName}`);
  }
  return parts.join(' ');
}

/** The Envoy bootstrap YAML for these options, with a header saying how it was made. Deterministic. */
export function renderEnvoyConfig(options: EnvoyBootstrapOptions = {}): string {
  const header = [
    '# Envoy v3 bootstrap for keyward (Envoy 1.31). Generated: do not edit by hand, re-run',
    `#   ${commandLine(options)}`,
    '# Agents call the listener; ext_authz -> ext_proc -> router; ext_proc picks the Datadog cluster',
    '# through the x-keyward-cluster header. Checked by test/envoy/bootstrap.test.ts.',
  ].join('\n');
  return `${header}\n${stringify(buildEnvoyBootstrap(options), { lineWidth: 0, minContentWidth: 0 })}`;
}

/** `all`, or a comma-separated list of known sites. Throws TypeError (a usage error, exit 2). */
function parseSites(value: string): DatadogSite[] | undefined {
  if (value.trim() === 'all') return undefined;
  const sites = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const site of sites) {
    if (!(DATADOG_SITES as readonly string[]).includes(site)) throw new TypeError(`unknown Datadog site "${site}" (known: all, ${DATADOG_SITES.join(', ')})`);
  }
  if (sites.length === 0) throw new TypeError('--sites: at least one site');
  return sites as DatadogSite[];
}

interface RenderFlags {
  sites?: string;
  authz?: string;
  proc?: string;
  listen?: string;
  admin?: string;
  authzTimeout?: string;
  caFile?: string;
  keywardTlsDir?: string;
  keywardServerName?: string;
  keywardPlaintext?: boolean;
  out?: string;
}

export function envoyCommand(): Command {
  const envoy = new Command('envoy').description('Envoy configuration for putting keyward in front of Datadog');
  envoy
    .command('render')
    .description('write an Envoy bootstrap (envoy.yaml) wired to keyward: ext_authz -> ext_proc -> router, one TLS cluster per Datadog host')
    .option('--sites <list>', `"all" or comma-separated Datadog sites (default: all = ${DATADOG_SITES.join(',')})`)
    .option('--authz <host:port>', `keyward ext_authz gRPC address (default: ${ENVOY_DEFAULTS.authz})`)
    .option('--proc <host:port>', `keyward ext_proc gRPC address (default: ${ENVOY_DEFAULTS.proc})`)
    .option('--listen <host:port>', `listener agents call (default: ${ENVOY_DEFAULTS.listen})`)
    .option('--admin <host:port>', `Envoy admin address (default: ${ENVOY_DEFAULTS.admin})`)
    .option('--authz-timeout <duration>', `ext_authz timeout, above the longest approval hold (default: ${ENVOY_DEFAULTS.authzTimeout})`)
    .option('--ca-file <path>', `CA bundle verifying Datadog's certificates (default: ${ENVOY_DEFAULTS.caFile})`)
    .option('--keyward-tls-dir <dir>', `folder in Envoy's file system with ca.crt, envoy.crt, envoy.key for mTLS to keyward (default: ${ENVOY_DEFAULTS.keywardTlsDir})`)
    .option('--keyward-server-name <name>', `SNI and required DNS name of keyward's certificate (default: ${ENVOY_DEFAULTS.keywardServerName})`)
    .option('--keyward-plaintext', 'no TLS to keyward (only when keyward listens on loopback, or a mesh sidecar does mTLS)')
    .option('--out <file>', 'write to this file instead of standard output')
    .action((flags: RenderFlags, cmd: Command) => {
      const { out, sites, keywardTlsDir, keywardServerName, keywardPlaintext, ...rest } = flags;
      let text: string;
      try {
        const chosen = sites === undefined ? undefined : parseSites(sites);
        const keywardTls = keywardPlaintext ? null : keywardTlsDir || keywardServerName ? { dir: keywardTlsDir ?? ENVOY_DEFAULTS.keywardTlsDir, serverName: keywardServerName ?? ENVOY_DEFAULTS.keywardServerName } : undefined;
        text = renderEnvoyConfig({ ...rest, ...(chosen ? { sites: chosen } : {}), ...(keywardTls !== undefined ? { keywardTls } : {}) });
      } catch (e) {
        if (e instanceof TypeError) cmd.error(`error: ${e.message}`, { exitCode: 2 });
        throw e;
      }
      if (!out) return void process.stdout.write(text);
      try {
        writeFileSync(out, text);
      } catch (e) {
        cmd.error(`error: cannot write ${out} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { exitCode: 1 });
      }
    });
  return envoy;
}
