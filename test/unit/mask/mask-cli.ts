import { spawnSync } from 'node:child_process';
import { CHILD_NODE_ARGS } from '../../helpers/child.js';

const runner = new URL('./run-mask-cli.ts', import.meta.url).pathname;

/** `keyward mask ARGS` in a real process, as an operator runs it: exit status, stdout bytes, stderr text. */
export function maskCli(args: string[], input?: Buffer, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...CHILD_NODE_ARGS, runner, ...args], { input, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}
