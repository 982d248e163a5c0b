import t from 'tap';
import { baseConfig } from '../../helpers/gate.js';
import { startStack, type Stack } from '../../helpers/stack.js';

let s: Stack;
t.before(async () => {
  s = await startStack((issuer) => baseConfig([{ issuer }]));
});
t.teardown(() => s.stop());

const VISA = '4111111111111111';
const AMEX = '378282246310005';
// Written as text: the card numbers are JSON numbers, the ids and 64-bit integers must stay byte for byte.
const LOGS = `[{"message":"checkout","card": ${VISA},"cards":[${AMEX}, 1],"trace_id":${VISA},"big":9007199254740993,"u64":18446744073709551615,"ts":1700000000123,"note":"pan ${VISA.slice(0, 4)}"},
 {"message":"x","nested":{"pan":${VISA}}}]`;

t.test('trust: card numbers written as JSON numbers are masked; ids and 64-bit integers stay exact', async (t) => {
  const before = s.datadog.received.length;
  const res = await fetch(`${s.door.url}/api/v2/logs`, { method: 'POST', headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json' }, body: LOGS });
  t.equal(res.status, 202);
  const got = s.datadog.received[before]!;
  const parsed = JSON.parse(got.text) as Record<string, unknown>[];
  t.equal(parsed[0]!.card, '[REDACTED:credit_card]', 'card as a number → a quoted redaction');
  t.same(parsed[0]!.cards, ['[REDACTED:credit_card]', 1], 'in an array too');
  t.same(parsed[1]!.nested, { pan: '[REDACTED:credit_card]' });
  t.ok(got.text.includes(`"trace_id":${VISA}`), 'a Luhn-valid number under an id-like name is an id, left alone');
  for (const exact of ['9007199254740993', '18446744073709551615', '1700000000123']) t.ok(got.text.includes(exact), `${exact} byte for byte`);
  t.equal(got.text.split(VISA).length - 1, 1, 'the card appears only as the trace id');
  t.notOk(got.text.includes(AMEX));
  const row = s.tg.audit.events.find((e) => e.kind === 'payload' && e.request_id === res.headers.get('x-keyward-request-id'));
  t.ok(row?.kind === 'payload' && row.masked_body === got.text, 'the audit row holds what was forwarded');
  t.ok(row?.kind === 'payload' && row.findings.some((f) => f.type === 'credit_card' && f.count === 3), 'three card findings');
});
