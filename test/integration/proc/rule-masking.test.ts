import t from 'tap';
import { baseConfig } from '../../helpers/gate.js';
import { startStack } from '../../helpers/stack.js';

const AWS = 'AKIAIOSFODNN7EXAMPLE';

t.test('masking: per-rule override — hmac style for one rule, the global style for the others', async (t) => {
  const s = await startStack((issuer) => ({
    ...baseConfig([{ issuer }], {
      rules: [
        { name: 'logs-hmac', match: { path: '/api/v2/logs' }, action: 'allow', masking: { style: 'hmac' } },
        { name: 'telemetry', match: { class: 'telemetry-write' }, action: 'allow' },
      ],
    }),
    masking: { hmac_key: '${env:DD_PROD_APP}' },
  }));
  t.teardown(() => s.stop());
  const post = async (path: string, body: string) =>
    fetch(`${s.door.url}${path}`, { method: 'POST', headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json' }, body }).then((r) => r.status);

  t.equal(await post('/api/v2/logs', `[{"message":"key ${AWS}"},{"message":"same ${AWS}"}]`), 202);
  const logs = s.datadog.received.at(-1)!.text;
  const tokens = logs.match(/\[REDACTED:aws_access_key_id:[0-9a-f]{8}\]/g) ?? [];
  t.equal(tokens.length, 2, 'hmac style under the logs rule');
  t.equal(tokens[0], tokens[1], 'equal secrets correlate');
  t.notOk(logs.includes(AWS));

  t.equal(await post('/api/v1/events', JSON.stringify({ title: 't', text: `key ${AWS}` })), 202);
  const events = s.datadog.received.at(-1)!.text;
  t.match(events, /\[REDACTED:aws_access_key_id\]/, 'redact style elsewhere');
});
