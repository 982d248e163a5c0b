import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { KEYWARD_CLI } from './child.js';
import { KEYS } from './gate.js';
import { until } from './wait.js';

export interface ServeChild {
  readonly child: ChildProcess;
  readonly authz: string;
  readonly proc: string;
  readonly admin: string;
  /** Everything the child wrote to stdout (JSON log lines) and stderr so far. */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** The environment a serve child reads the test connection keys from. */
export const SERVE_ENV = { DD_PROD_API: KEYS.prodApi, DD_PROD_APP: KEYS.prodApp } as const;

/** Writes `config` (listen on free loopback ports) and runs `keyward serve` on it as a child process. */
export async function spawnServe(t: { teardown(fn: () => unknown): void }, configPath: string, config: Record<string, unknown>): Promise<ServeChild> {
  writeFileSync(configPath, stringify({ ...config, listen: { authz: '127.0.0.1:0', proc: '127.0.0.1:0', admin: '127.0.0.1:0', ...(config.listen as object | undefined) } }));
  const child = spawn(process.execPath, [...KEYWARD_CLI, 'serve', '--config', configPath], { env: { ...process.env, ...SERVE_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await until(() => out.includes('"keyward started"') || child.exitCode !== null, 90_000);
  const line = out.split('\n').find((l) => l.includes('"keyward started"'));
  if (!line) throw new Error(`keyward serve did not start:\n${out}`);
  const started = JSON.parse(line) as { authz: string; proc: string; admin: string };
  return { child, authz: started.authz, proc: started.proc, admin: started.admin, output: () => out, exited };
}
