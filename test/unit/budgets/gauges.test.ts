import { Registry } from 'prom-client';
import t from 'tap';
import { createBudgetGauges, MAX_GAUGE_IDENTITIES } from '../../../src/budgets/gauges.js';
import type { WindowStanding } from '../../../src/budgets/evaluate.js';

const standing = (remaining: number): WindowStanding[] => [{ budget: 'fleet', windowMs: 60_000, quantity: 'requests', limit: 10, remaining } as WindowStanding];

async function series(registry: Registry) {
  const [metric] = await registry.getMetricsAsJSON();
  return (metric?.values ?? []).map((v) => ({ identity: String(v.labels.identity), value: v.value }));
}

t.test('budget gauges: a value is updated in place, and past the identity cap the least recently seen is dropped', async (t) => {
  const registry = new Registry();
  const gauges = createBudgetGauges(registry);
  gauges.record('agent-0', standing(10));
  gauges.record('agent-0', standing(4));
  t.same(await series(registry), [{ identity: 'agent-0', value: 0.4 }], 'one series, the latest share');

  for (let i = 1; i <= MAX_GAUGE_IDENTITIES; i++) gauges.record(`agent-${i}`, standing(5));
  const after = await series(registry);
  t.equal(after.length, MAX_GAUGE_IDENTITIES, 'capped');
  t.notOk(after.some((s) => s.identity === 'agent-0'), 'the oldest identity is gone');

  gauges.record('agent-0', standing(1));
  const back = await series(registry);
  t.same(back.find((s) => s.identity === 'agent-0'), { identity: 'agent-0', value: 0.1 }, 'it comes back with a fresh series when seen again');
  t.notOk(back.some((s) => s.identity === 'agent-1'), 'and the next oldest made room');
});
