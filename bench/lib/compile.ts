import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const OUT = 'bench/results/build';

/**
 * Compiles the gate with the bench servers (tsconfig.bench.json) and returns the compiled entry:
 * keyward is measured as production runs it, with no TypeScript loader in its process or its
 * masking workers (tsx alone costs ~35 MB of RSS per isolate and start time).
 */
export function compileBenchServers(): string {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  process.stderr.write(`bench: compiling keyward and the bench servers (tsc -p tsconfig.bench.json → ${OUT}) …\n`);
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.bench.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/copy-build-assets.mjs', OUT], { cwd: root, stdio: 'inherit' });
  return `${root}${OUT}/bench/servers/entry.js`;
}
