// tap's `before` script (.taprc): makes sure the approvals page test has its browser.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { CHROMIUM_PATH, ensureChromium } from '../helpers/chromium.js';

const run = (args: string[]) =>
  new Promise<number>((resolve) => {
    const child = spawn('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.on('error', () => resolve(127));
    child.on('exit', (code) => resolve(code ?? 1));
  });

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const outcome = await ensureChromium({
  path: CHROMIUM_PATH,
  exists: executable,
  isRoot: process.getuid?.() === 0,
  hasApt: executable('/usr/bin/apt-get'),
  install: async () => (await run(['update', '-qq'])) || run(['install', '-y', '-qq', 'chromium']),
});
if (!outcome.ok) {
  process.stderr.write(`${outcome.line}\n`);
  process.exit(1);
}
if (outcome.installed) process.stderr.write(`keyward tests: installed Chromium at ${CHROMIUM_PATH}\n`);
