import { readFileSync } from 'node:fs';
import t from 'tap';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { startPgStack } from '../../helpers/pg-stack.js';

interface Payload {
  file: string;
  content_type: string;
  secrets: { type: string; value: string }[];
}

const dir = new URL('../../fixtures/mask/', import.meta.url);
const corpus = JSON.parse(readFileSync(new URL('corpus.json', dir), 'utf8')) as { payloads: Payload[] };

t.test('audit: the whole masking corpus goes through the gate; no stored column holds a key or a planted secret', async (t) => {
  const s = await startPgStack(t, (issuer) => baseConfig([{ issuer }]));
  const auth = await s.bearer('agent-1', ['agents']);
  // Agents that still hold keys send them too: in headers and in the query.
  for (const p of corpus.payloads) {
    const res = await fetch(`${s.door.url}/api/v2/logs?api_key=${KEYS.euApi}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': p.content_type, 'dd-api-key': KEYS.euApi },
      body: readFileSync(new URL(p.file, dir)),
    });
    t.equal(res.status, 202, `${p.file} accepted`);
  }
  t.ok(corpus.payloads.reduce((n, p) => n + p.secrets.length, 0) > 40, 'the corpus plants many secrets');

  const schema = `"${s.db.schema}"`;
  const tables = ['calls', 'payloads', 'approval_events', 'approvals', 'chain_heads'];
  let stored = '';
  for (const table of tables) {
    const r = await s.db.pool.query(`SELECT t::text AS row FROM ${schema}.${table} t`);
    stored += (r.rows as { row: string }[]).map((x) => x.row).join('\n');
  }
  t.ok(stored.includes('/api/v2/logs'), 'rows were written');
  const payloads = await s.db.pool.query(`SELECT count(*)::int AS n FROM ${schema}.payloads WHERE direction = 'request'`);
  t.equal(payloads.rows[0].n, corpus.payloads.length, 'one payload row per body');
  for (const key of Object.values(KEYS)) t.notOk(stored.includes(key), 'no Datadog key stored');
  for (const p of corpus.payloads) {
    for (const secret of p.secrets) {
      // Stored JSON text escapes quotes and slashes: compare against the raw value and its JSON form.
      const forms = [secret.value, JSON.stringify(secret.value).slice(1, -1)];
      t.notOk(forms.some((f) => stored.includes(f)), `${p.file}: ${secret.type} not stored`);
    }
  }
  for (const key of Object.values(KEYS)) t.notOk(s.tg.logs().join('\n').includes(key), 'no key logged');
});
