import { Command } from 'commander';
import { ConfigError, formatIssue, loadConfigFile, type ConfigIssue, type KeywardConfig } from '../config/load.js';
import { parseDuration } from '../config/duration.js';
import { servingIssues } from '../config/serving.js';
import { ENVOY_DEFAULTS } from '../envoy/bootstrap.js';

export function configCommand(): Command {
  const config = new Command('config').description('Work with keyward configuration files.');
  config
    .command('check')
    .description('Validate a configuration file: every error with its YAML path and line.')
    .argument('<file>', 'keyward YAML configuration')
    .option('--json', 'print the result as one JSON document')
    .addHelpText(
      'after',
      `
Secret references (\${env:NAME}, \${file:PATH}) are resolved, so a missing variable or file is
reported too; resolved values are never printed. Exit code 0 when valid, 2 when not.

Example:
  keyward config check keyward.yaml`,
    )
    .action((file: string, opts: { json?: boolean }) => {
      try {
        const c = loadConfigFile(file);
        const unfit = servingIssues(c);
        if (unfit.length > 0) throw new ConfigError(file, unfit);
        const summary = {
          valid: true,
          version: c.version,
          issuers: c.identity.issuers.map((i) => i.issuer),
          connections: c.connections.map((x) => ({ name: x.name, site: x.site, app_key: x.app_key !== undefined })),
          rules: c.policy.rules.length,
          default: c.policy.default,
        };
        const warnings = [...c.warnings, ...holdWarnings(c)];
        if (!opts.json) for (const w of warnings) process.stderr.write(`warning ${formatIssue(file, w)}\n`);
        process.stdout.write(opts.json ? JSON.stringify({ ...summary, warnings }) + '\n' : `${file}: valid (version ${c.version}; ${summary.issuers.length} issuer(s), ${summary.connections.length} connection(s), ${summary.rules} rule(s), default ${summary.default})\n`);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        if (opts.json) process.stdout.write(JSON.stringify({ valid: false, code: e.code, issues: e.issues }) + '\n');
        else process.stderr.write(e.issues.map((i) => `error config_invalid ${formatIssue(file, i)}`).join('\n') + '\n');
        process.exitCode = 2;
      }
    });
  return config;
}

/**
 * Envoy must wait longer than keyward holds a Check, or every undecided approval ends as Envoy's 503
 * instead of keyward's 202. `keyward envoy render` sets the ext_authz timeout (default 30 s); a rule
 * holding that long or longer needs `--authz-timeout` above it.
 */
function holdWarnings(c: KeywardConfig): ConfigIssue[] {
  const timeoutMs = parseDuration(ENVOY_DEFAULTS.authzTimeout) ?? 30_000;
  return c.policy.rules.flatMap((r, i) =>
    r.action === 'require_approval' && r.approval && r.approval.hold >= timeoutMs
      ? [{ path: `policy.rules[${i}].approval.hold`, message: `holds ${r.approval.hold / 1000}s, not below the ext_authz timeout \`keyward envoy render\` sets (${ENVOY_DEFAULTS.authzTimeout}): render with --authz-timeout above it, or held calls get Envoy's 503 instead of 202` }]
      : [],
  );
}
