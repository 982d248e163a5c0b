import t from 'tap';
import { startDevIssuer } from '../../../dev/dev-issuer.js';
import { baseConfig, startTestGate } from '../../helpers/gate.js';

t.test('shutdown: in-flight Checks finish, health turns NOT_SERVING, new calls are refused, stop resolves', async (t) => {
  const issuer = await startDevIssuer();
  t.teardown(() => issuer.close());
  const tg = await startTestGate(baseConfig([{ issuer: issuer.issuer }]));
  const headers = { authorization: `Bearer ${await issuer.mint({ subject: 'a', groups: ['agents'] })}` };
  // Slow the audit sink so calls are in flight when shutdown starts.
  // Shutdown starts once all five are inside the gate (not after a sleep: on a loaded machine the
  // client may not even have connected yet).
  const record = tg.audit.record.bind(tg.audit);
  let arrived = 0;
  let allArrived: () => void = () => {};
  const inside = new Promise<void>((r) => (allArrived = r));
  tg.audit.record = async (e) => {
    if (++arrived === 5) allArrived();
    await new Promise((r) => setTimeout(r, 300));
    return record(e);
  };
  const inFlight = Array.from({ length: 5 }, () => tg.check({ method: 'POST', path: '/api/v2/series', headers }));
  await inside;
  const stopped = tg.gate.stop();
  const results = await Promise.all(inFlight);
  t.same(results.map((r) => r.status?.code), [0, 0, 0, 0, 0], 'every in-flight call got its answer');
  await stopped;
  await t.rejects(tg.check({ method: 'POST', path: '/api/v2/series', headers }), 'the server no longer accepts calls');
  const ready = await fetch(`${tg.gate.adminUrl}/readyz`).then(() => 'answered', () => 'closed');
  t.equal(ready, 'closed', 'the admin listener is closed');
  tg.client.close();
});
