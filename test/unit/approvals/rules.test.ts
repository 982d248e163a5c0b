import t from 'tap';
import { approvalFingerprint, approverRefusal, effectiveStatus, insideWindow, tally } from '../../../src/approvals/rules.js';
import { prettyJson } from '../../../src/approvals/pretty.js';

const base = { connection: 'prod', issuer: 'https://ci.example', subject: 'agent', method: 'POST', path: '/api/v1/dashboard', bodySha256: 'a'.repeat(64) };

t.test('approvals rules: the fingerprint changes with every bound field', async (t) => {
  const f = approvalFingerprint(base);
  t.equal(f, approvalFingerprint({ ...base, method: 'post' }), 'method case does not matter');
  for (const change of [{ connection: 'eu' }, { issuer: 'https://other.example' }, { subject: 'other' }, { method: 'PUT' }, { path: '/api/v1/dashboard/x' }, { bodySha256: 'b'.repeat(64) }]) {
    t.not(approvalFingerprint({ ...base, ...change }), f, `changing ${Object.keys(change)[0]} needs a new approval`);
  }
});

t.test('approvals rules: tally — one deny closes, distinct approvers count', async (t) => {
  t.equal(tally([], 1), 'pending');
  t.equal(tally([{ approver: 'a', decision: 'approve' }], 1), 'approved');
  t.equal(tally([{ approver: 'a', decision: 'approve' }, { approver: 'a', decision: 'approve' }], 2), 'pending');
  t.equal(tally([{ approver: 'a', decision: 'approve' }, { approver: 'b', decision: 'approve' }], 2), 'approved');
  t.equal(tally([{ approver: 'a', decision: 'approve' }, { approver: 'b', decision: 'deny' }], 1), 'denied');
});

t.test('approvals rules: who may vote', async (t) => {
  const check = (over: Partial<Parameters<typeof approverRefusal>[0]> = {}) =>
    approverRefusal({
      approver: { subject: 'bob', groups: ['sre'] },
      agent: { subject: 'agent', owner: 'alice' },
      approverGroups: ['sre'],
      window: undefined,
      votes: [],
      now: new Date('2026-11-25T10:00:00Z'), // a Wednesday
      ...over,
    });
  t.equal(check(), null);
  t.equal(check({ approver: { subject: 'agent', groups: ['sre'] } }), 'approval_self');
  t.equal(check({ approver: { subject: 'alice', groups: ['sre'] } }), 'approval_self');
  t.equal(check({ approver: { subject: 'bob', groups: ['dev'] } }), 'approval_forbidden');
  t.equal(check({ votes: [{ approver: 'bob', decision: 'approve' }] }), 'approval_duplicate');
  t.equal(check({ window: { days: ['mon', 'tue'], from: '00:00', to: '23:59' } }), 'approval_window_closed');
  t.equal(check({ window: { days: ['wed'], from: '09:00', to: '17:00' } }), null);
});

t.test('approvals rules: time windows, including ones that cross midnight', async (t) => {
  const w = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[], from: '22:00', to: '02:00' };
  t.ok(insideWindow(w, new Date('2026-11-25T23:30:00Z')));
  t.ok(insideWindow(w, new Date('2026-11-25T01:00:00Z')));
  t.notOk(insideWindow(w, new Date('2026-11-25T12:00:00Z')));
});

t.test('approvals rules: expiry wins over pending and approved only', async (t) => {
  const past = new Date(Date.now() - 1000);
  const now = new Date();
  t.equal(effectiveStatus('pending', past, now), 'expired');
  t.equal(effectiveStatus('approved', past, now), 'expired');
  t.equal(effectiveStatus('denied', past, now), 'denied');
  t.equal(effectiveStatus('consumed', past, now), 'consumed');
  t.equal(effectiveStatus('pending', new Date(Date.now() + 60_000), now), 'pending');
});

t.test('approvals: pretty-printing keeps 64-bit integers and string contents exact', async (t) => {
  t.equal(prettyJson('{"a":[1,9007199254740993],"b":{},"c":[],"d":"x, y: {z}"}'), '{\n  "a": [\n    1,\n    9007199254740993\n  ],\n  "b": {},\n  "c": [],\n  "d": "x, y: {z}"\n}');
  t.equal(prettyJson('not json'), 'not json');
});
