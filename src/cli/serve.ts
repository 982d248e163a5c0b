import { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { startGate, type Gate } from '../gate.js';
import { StartFailure } from '../start-failure.js';

/** Starts a gate; resolves once everything listens. */
export async function serve(configPath: string): Promise<{ gate: Gate; stop(): Promise<void> }> {
  const gate = await startGate({ configPath });
  return { gate, stop: () => gate.stop() };
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
        // One line and a non-zero exit, never a stack: what failed and why, from error codes only.
        const line = e instanceof StartFailure ? e.message : new StartFailure('start', e).message;
        process.stderr.write(`keyward: cannot start: ${line}\n`);
        process.exit(1);
      }
    });
}
