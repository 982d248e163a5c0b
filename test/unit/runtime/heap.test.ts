import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { configSchema } from '../../../src/config/schema.js';
import { processSection } from '../../../src/config/sections/process.js';
import { applyProcessSettings, heapGrowingFlag } from '../../../src/runtime/heap.js';

const exec = promisify(execFile);

t.test('process.heap_growing_percent: default 100, 0 hands the choice back to V8, bad values are refused by path', async (t) => {
  t.equal(heapGrowingFlag(processSection.parse({})), '--heap-growing-percent=100');
  t.equal(heapGrowingFlag(processSection.parse({ heap_growing_percent: 0 })), '--heap-growing-percent=0', 'a reload to 0 restores the heuristic');
  for (const bad of [-1, 301, 1.5, '100']) {
    const r = configSchema.safeParse({ process: { heap_growing_percent: bad } });
    t.notOk(r.success, `${JSON.stringify(bad)} is refused`);
    t.ok(r.error?.issues.some((i) => i.path.join('.') === 'process.heap_growing_percent'), 'the issue names the key');
  }
  t.notOk(configSchema.safeParse({ process: { heap_growing: 100 } }).success, 'an unknown key is refused');
  const seen: string[] = [];
  applyProcessSettings(processSection.parse({ heap_growing_percent: 40 }), (f) => seen.push(f));
  t.same(seen, ['--heap-growing-percent=40']);
});

/**
 * The setting as a process feels it: the same churn (a live set, and garbage that lives long enough
 * to be promoted, as a call's objects do across an audit commit) peaks far lower with a small
 * growing factor than with V8's heuristic. Each run is its own process: the flag is process-wide.
 */
t.test('process.heap_growing_percent: a small factor keeps the heap near its live size under churn', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-heap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'churn.ts');
  const heapModule = pathToFileURL(join(process.cwd(), 'src/runtime/heap.ts')).href;
  writeFileSync(
    script,
    `import { applyProcessSettings } from ${JSON.stringify(heapModule)};
applyProcessSettings({ heap_growing_percent: Number(process.argv[2]) });
const live = Array.from({ length: 200_000 }, (_, i) => ({ i, s: 'x'.repeat(50) + i }));
const ring = new Array(400_000);
let peak = 0;
for (let round = 0; round < 300; round++) {
  for (let j = 0; j < 50_000; j++) ring[(round * 50_000 + j) % ring.length] = { round, j, s: 'v' + round + '-' + j };
  peak = Math.max(peak, process.memoryUsage().heapUsed);
}
process.stdout.write(JSON.stringify({ peakMb: peak / 2 ** 20, live: live.length }));
`,
  );
  const peak = async (percent: number) => {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', script, String(percent)], { env: { ...process.env, NODE_OPTIONS: '' } });
    return (JSON.parse(stdout) as { peakMb: number }).peakMb;
  };
  const heuristic = await peak(0);
  const small = await peak(25);
  t.ok(small < heuristic * 0.6, `peak heap ${small.toFixed(0)} MB at 25 % against ${heuristic.toFixed(0)} MB with V8's heuristic`);
});
