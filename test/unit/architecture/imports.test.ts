import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const exec = promisify(execFile);
const DEPCRUISE = resolve('node_modules/.bin/depcruise');
const CONFIG = resolve('.dependency-cruiser.cjs');

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
  readonly cycle?: readonly { readonly name: string }[];
}

/** dependency-cruiser over `dirs` of `cwd` with keyward's rules; the violations it reports. */
async function violations(cwd: string, dirs: string[]): Promise<Violation[]> {
  const { stdout } = await exec(DEPCRUISE, [...dirs, '--config', CONFIG, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } }).summary.violations;
}

const describe = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`;

t.test('architecture: src/ has no import cycle, imports nothing from dev/, and its arrows point inward', async (t) => {
  const found = await violations(process.cwd(), ['src', 'dev']);
  t.same(found.map(describe), [], 'no rule of .dependency-cruiser.cjs is broken');
});

t.test('architecture: the rules catch a cycle, a src → dev import, proc reaching the edge, and protos outside src/envoy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-arch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', allowImportingTsExtensions: true } }),
    'src/a/one.ts': "import { two } from '../b/two.js';\nexport const one = () => two();\n",
    'src/b/two.ts': "import { one } from '../a/one.js';\nexport const two = (): number => (one ? 2 : 0);\n",
    'src/cli/serve.ts': "import { fake } from '../../dev/fake.js';\nexport const serve = fake;\n",
    'src/proc/processor.ts': "import { x } from '../envoy/proc-service.js';\nimport { h } from '../envoy/contract.js';\nexport const p = [x, h];\n",
    'src/envoy/proc-service.ts': 'export const x = 1;\n',
    'src/envoy/contract.ts': 'export const h = "x-keyward-request-id";\n',
    'src/mask/masker.ts': "import type { T } from '../../proto/gen/T.js';\nexport const m = (v: T) => v;\n",
    'proto/gen/T.ts': 'export type T = string;\n',
    'dev/fake.ts': 'export const fake = 1;\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const found = (await violations(dir, ['src', 'dev'])).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
  t.ok(found.includes('no-cycles-in-src: src/a/one.ts → src/b/two.ts'), 'a cycle between two files');
  t.ok(found.includes('src-never-imports-dev: src/cli/serve.ts → dev/fake.ts'), 'the product importing a dev stand-in');
  t.ok(found.includes('the-edge-is-called-not-calling: src/proc/processor.ts → src/envoy/proc-service.ts'), 'a capability importing the gRPC edge');
  t.notOk(found.some((v) => v.endsWith('→ src/envoy/contract.ts')), 'the wire contract may be read by anyone');
  t.ok(found.includes('only-the-envoy-edge-knows-protos: src/mask/masker.ts → proto/gen/T.ts'), 'proto types outside the edge');
});
