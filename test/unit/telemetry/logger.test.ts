import { PassThrough } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../../src/telemetry/logger.js';

function collect() {
  const lines: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => lines.push(...d.toString('utf8').split('\n').filter(Boolean)));
  return { sink, lines };
}

t.test('logger: every configured secret is scrubbed from a line, in any field, longest first', async (t) => {
  const { sink, lines } = collect();
  const key = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const prefixed = `${key}-and-more`;
  const regexy = 'p4ss.w*rd+(x)|[y]{2}';
  const log = createLogger({ level: 'info', secrets: () => [key, prefixed, regexy, 'short'], destination: sink });
  log.info({ detail: `got ${prefixed} and ${key} twice ${key}`, other: { deep: regexy } }, `message with ${key}`);
  log.info({ fine: 'p4ssXwwrd' }, 'short is too short to scrub');
  await new Promise((r) => setImmediate(r));
  t.equal(lines.length, 2);
  const [first, second] = lines as [string, string];
  t.notOk(first.includes(key));
  t.notOk(first.includes('p4ss.w*rd'), 'a secret with regular-expression characters is matched literally');
  t.equal(first.match(/\[REDACTED:secret\]/g)?.length, 5);
  t.notOk(first.includes('-and-more'), 'the longer secret is replaced whole, not only its prefix');
  t.match(second, /p4ssXwwrd/, 'a near miss is not a match');
  t.match(second, /short is too short/, 'values under 8 characters are not scrubbed');
});

t.test('logger: a config swap (a new secrets list) is honoured on the next line', async (t) => {
  const { sink, lines } = collect();
  let secrets: readonly string[] = [];
  const log = createLogger({ level: 'info', secrets: () => secrets, destination: sink });
  log.info({ v: 'rotated-key-0123456789' }, 'before');
  secrets = ['rotated-key-0123456789'];
  log.info({ v: 'rotated-key-0123456789' }, 'after');
  await new Promise((r) => setImmediate(r));
  t.match(lines[0], /rotated-key-0123456789/);
  t.notMatch(lines[1], /rotated-key-0123456789/);
});
