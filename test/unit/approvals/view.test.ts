import t from 'tap';
import { agentWaiting, CLASS_RISK, findingsSummary } from '../../../src/approvals/view.js';

t.test('view: the findings summary counts each type in words people read', async (t) => {
  t.equal(findingsSummary([]), 'nothing masked');
  t.equal(findingsSummary([{ type: 'email', count: 1 }]), '1 email masked');
  t.equal(findingsSummary([{ type: 'email', count: 2 }, { type: 'credit_card', count: 1 }]), '2 emails masked, 1 credit card value masked');
  t.equal(findingsSummary([{ type: 'aws_access_key_id', count: 3 }]), '3 aws access key id values masked');
});

t.test('view: the agent is waiting only when it asked within one hold plus its retry interval', async (t) => {
  const now = new Date('2026-12-07T10:00:00Z');
  const seen = (msAgo: number) => new Date(now.getTime() - msAgo);
  t.equal(agentWaiting({ status: 'pending', last_seen_at: seen(1_000) }, 25_000, 30_000, now), true);
  t.equal(agentWaiting({ status: 'pending', last_seen_at: seen(25_000 + 30_000 + 5_000) }, 25_000, 30_000, now), true, 'the edge counts');
  t.equal(agentWaiting({ status: 'pending', last_seen_at: seen(25_000 + 30_000 + 5_001) }, 25_000, 30_000, now), false);
  t.equal(agentWaiting({ status: 'approved', last_seen_at: seen(1_000) }, 25_000, 30_000, now), true, 'approved, not yet consumed: the retry is coming');
  t.equal(agentWaiting({ status: 'denied', last_seen_at: seen(1_000) }, 25_000, 30_000, now), false);
  t.equal(agentWaiting({ status: 'pending', last_seen_at: null }, 25_000, 30_000, now), false);
});

t.test('view: every operation class has a one-line risk', async (t) => {
  for (const [cls, line] of Object.entries(CLASS_RISK)) {
    t.ok(line.length > 20 && !line.includes('\n'), `${cls}: one line`);
  }
});
