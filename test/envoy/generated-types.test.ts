import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const exec = promisify(execFile);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

t.test('generated types: proto/gen is exactly what `npm run gen:types` produces from the pinned protos', async (t) => {
  const script = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts['gen:types']!;
  const out = mkdtempSync(join(tmpdir(), 'kw-gen-'));
  const args = script.replace(/^proto-loader-gen-types /, '').replace('--outDir=proto/gen', `--outDir=${out}`).split(/\s+/);
  await exec(join('node_modules', '.bin', 'proto-loader-gen-types'), args);
  const committed = files('proto/gen').map((f) => relative('proto/gen', f)).sort();
  const fresh = files(out).map((f) => relative(out, f)).sort();
  t.same(fresh, committed, 'same files');
  const differing = committed.filter((f) => readFileSync(join('proto/gen', f), 'utf8') !== readFileSync(join(out, f), 'utf8'));
  t.same(differing, [], 'same contents: run `npm run gen:types` after changing protos');
});
