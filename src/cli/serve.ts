import { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { devIssuerUrl } from '../config/schema.js';
import { startDevIssuer, type DevIssuer } from '../devgate/dev-issuer.js';
import { startGate, type Gate } from '../gate.js';

/** Starts a gate (and the dev issuer when the config enables it); resolves once everything listens. */
export async function serve(configPath: string): Promise<{ gate: Gate; devIssuer: DevIssuer | null; stop(): Promise<void> }> {
  const gate = await startGate({ configPath });
  const dev = gate.config.current().config.identity.dev_issuer;
  let devIssuer: DevIssuer | null = null;
  if (dev.enabled) {
    devIssuer = await startDevIssuer(dev.listen, dev.audience, devIssuerUrl(dev));
    gate.log.warn({ issuer: devIssuer.issuer }, 'the built-in dev OIDC issuer is enabled: for demos only, never in production');
  }
  return {
    gate,
    devIssuer,
    async stop() {
      await gate.stop();
      await devIssuer?.close();
    },
  };
}

/** SIGTERM/SIGINT: stop accepting, finish in-flight calls, flush audit, close the pool, exit. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`keyward: ${signal} received, shutting down gracefully\n`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the ext_authz and ext_proc gRPC services and the admin HTTP listener.')
    .requiredOption('-c, --config <file>', 'keyward YAML configuration')
    .addHelpText(
      'after',
      `
Listens on listen.authz (gRPC ext_authz), listen.proc (gRPC ext_proc) and listen.admin
(HTTP: /healthz, /readyz, /metrics). Reloads the config on file change and on SIGHUP;
SIGTERM drains in-flight calls, flushes the audit queue and exits.

Example:
  keyward serve --config /etc/keyward/keyward.yaml`,
    )
    .action(async (opts: { config: string }) => {
      try {
        const running = await serve(opts.config);
        stopOnSignals(running.stop);
      } catch (e) {
        if (e instanceof ConfigError) {
          process.stderr.write(`${e.message}\n`);
          process.exit(2);
        }
        throw e;
      }
    });
}
