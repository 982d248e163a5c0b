import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { createMaskPool, type MaskPool } from '../../../src/mask-pool/pool.js';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { until } from '../../helpers/wait.js';

/** The channel test/fixtures/mask-pool/held-worker.ts listens on (importing it here would open it here too). */
const CHANNEL = 'keyward-mask-pool-test';
const AWS = 'AKIAIOSFODNN7EXAMPLE';
const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';

/** A logs batch of about `bytes`, one secret in every 50th entry, a 64-bit integer in each. */
function logsBatch(bytes: number, extra = ''): string {
  const entries: string[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const secret = i % 50 === 0 ? ` key ${AWS} and ${SLACK}` : '';
    const e = `{"message":"request ${i} served in 12 ms${secret}${extra}","service":"web","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","n":9007199254740993}`;
    entries.push(e);
    size += e.length + 1;
  }
  return `[${entries.join(',')}]`;
}

type Post = (stack: Stack, subject: string, body: string) => Promise<Response>;
const post: Post = async (stack, subject, body) =>
  fetch(`${stack.door.url}/api/v2/logs`, { method: 'POST', headers: { authorization: await stack.bearer(subject, ['agents']), 'content-type': 'application/json' }, body });

t.test('mask pool: a 2 MiB logs body is masked on a worker thread, byte-identical elsewhere, audited as forwarded', async (t) => {
  const pool = createMaskPool({ threads: 1, inline_below: 16384, max_in_flight: 4, max_per_identity: 2 });
  await pool.warm();
  const s = await startStack((issuer) => baseConfig([{ issuer }]), { maskPool: pool });
  t.teardown(async () => {
    await s.stop();
    await pool.close();
  });
  const body = logsBatch(2 * 1024 * 1024);
  const before = s.datadog.received.length;
  const res = await post(s, 'agent-1', body);
  t.equal(res.status, 202);
  const got = s.datadog.received[before]!;
  t.notOk(got.text.includes(AWS), 'AWS key masked');
  t.notOk(got.text.includes(SLACK), 'Slack token masked');
  t.ok(got.text.includes('9007199254740993'), '64-bit integers exact');
  const inline = createMasker({ style: 'redact', max_depth: 64, custom_patterns: [], allow_paths: [] }).maskBody(Buffer.from(body), 'application/json');
  t.equal(got.text, inline.body.toString('utf8'), 'the worker masks exactly as the main thread does');
  t.equal(Number(got.headers['content-length']), got.raw.length);
  const id = res.headers.get('x-keyward-request-id');
  const row = s.tg.audit.events.find((e) => e.kind === 'payload' && e.request_id === id);
  t.match(row, { kind: 'payload', masked_body: got.text, reason_code: null });
  t.notOk(JSON.stringify(s.tg.logs()).includes(AWS), 'no secret in any log line');
  t.equal(pool.counts().worker, 1, 'masked on the worker thread');

  // A small body stays on the main thread: the hop would cost more than masking it.
  const small = await post(s, 'agent-1', `[{"message":"key ${AWS}"}]`);
  t.equal(small.status, 202);
  t.notOk(s.datadog.received.at(-1)!.text.includes(AWS));
  t.equal(pool.counts().worker, 1, 'the small body (and the small responses) stayed inline');
  t.ok(pool.counts().inline >= 1);
});

t.test('mask pool: past its per-identity and total limits a body is refused 503 masking_busy, audited, not forwarded; a crashed worker fails closed', async (t) => {
  const pool: MaskPool = createMaskPool({ threads: 2, inline_below: 0, max_in_flight: 2, max_per_identity: 1, workerUrl: new URL('../../fixtures/mask-pool/held-worker.ts', import.meta.url) });
  await pool.warm();
  const s = await startStack((issuer) => baseConfig([{ issuer }]), { maskPool: pool });
  const release = new BroadcastChannel(CHANNEL);
  t.teardown(async () => {
    release.close();
    await s.stop();
    await pool.close();
  });
  const body = logsBatch(32 * 1024);

  const held1 = post(s, 'agent-1', body);
  await until(() => pool.inFlight() === 1);
  const before = s.datadog.received.length;

  const busy = await post(s, 'agent-1', body);
  t.equal(busy.status, 503, 'a second body of the same identity is refused while the first is masked');
  const json = (await busy.json()) as { error: { code: string; request_id: string } };
  t.equal(json.error.code, 'masking_busy');
  const row = s.tg.audit.events.find((e) => e.kind === 'payload' && e.request_id === json.error.request_id);
  t.match(row, { kind: 'payload', reason_code: 'masking_busy', masked_body: null }, 'the refusal is audited');

  const held2 = post(s, 'agent-2', body);
  await until(() => pool.inFlight() === 2);
  t.pass('another identity is still admitted');
  const total = await post(s, 'agent-3', body);
  t.equal(total.status, 503, 'the total limit holds across identities');
  t.equal(((await total.json()) as { error: { code: string } }).error.code, 'masking_busy');
  t.equal(s.datadog.received.length, before, 'nothing refused reached Datadog');

  release.postMessage('release');
  const [r1, r2] = await Promise.all([held1, held2]);
  t.equal(r1.status, 202);
  t.equal(r2.status, 202);
  t.equal(pool.inFlight(), 0, 'every slot released');
  for (const got of s.datadog.received.slice(before)) t.notOk(got.text.includes(AWS), 'held bodies masked once released');

  const crashBefore = s.datadog.received.length;
  const crash = await post(s, 'agent-1', logsBatch(20 * 1024, ' CRASH-THE-WORKER'));
  t.equal(crash.status, 500, 'a worker that dies mid-body fails the call closed');
  const crashed = (await crash.json()) as { error: { code: string; request_id: string } };
  t.equal(crashed.error.code, 'internal_error');
  t.match(s.tg.audit.events.find((e) => e.kind === 'payload' && e.request_id === crashed.error.request_id), { reason_code: 'internal_error', masked_body: null });
  t.equal(s.datadog.received.length, crashBefore, 'nothing forwarded');
  t.notOk(JSON.stringify(s.tg.logs()).includes(AWS), 'no secret in any log line, crash included');

  const after = await post(s, 'agent-1', body);
  t.equal(after.status, 202, 'the pool replaced the dead worker');
  t.equal(pool.inFlight(), 0);
  t.equal(KEYS.prodApi.length, 32);
});

t.test('mask pool: masking threads run below the CPU priority of the event loop (Linux: per-thread nice)', async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs');
  // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value; the comm field may hold spaces.
  const niceOf = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
  const before = new Set(readdirSync('/proc/self/task'));
  const pool = createMaskPool({ threads: 2, inline_below: 16384, max_in_flight: 4, max_per_identity: 2 });
  t.teardown(() => pool.close());
  await pool.warm();
  const added = readdirSync('/proc/self/task').filter((tid) => !before.has(tid));
  const niced = added.filter((tid) => niceOf(tid) === 10);
  t.equal(niced.length, 2, 'both masking threads at nice 10');
  t.equal(niceOf(String(process.pid)), 0, 'the main thread keeps its priority');
});
