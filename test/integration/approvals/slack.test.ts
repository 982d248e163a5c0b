import http from 'node:http';
import t from 'tap';
import { slackSignature } from '../../../src/approvals/slack.js';
import { approvalConfig, approvalSteps, createDashboard, waitForPending } from '../../helpers/approvals.js';
import { startFakeSlack, type FakeSlack } from '../../helpers/fake-slack.js';
import { startPgStack, type PgStack } from '../../helpers/pg-stack.js';
import { until } from '../../helpers/wait.js';

const SECRET = '8f14e45fceea167a5a36dedd4bea2543';
process.env.KW_TEST_SLACK_SECRET = SECRET;

const APPROVE = 'keyward_approve';
const DENY = 'keyward_deny';

/** Slack users as the operator maps them: bob and carol are SREs, dave is not, USELF is the agent's owner. */
function slackConfig(issuer: string, slack: FakeSlack) {
  const user = (subject: string, groups: string[]) => ({ issuer, subject, groups });
  return {
    slack_webhook_url: slack.webhookUrl,
    slack: {
      signing_secret: '${env:KW_TEST_SLACK_SECRET}',
      response_origin: slack.origin,
      users: { UBOB: user('bob', ['sre']), UCAROL: user('carol', ['sre']), UDAVE: user('dave', ['dev']), USELF: user('owner-alice', ['sre']) },
    },
  };
}

async function stackWithSlack(t: { teardown(fn: () => unknown): void }, approval: Record<string, unknown> = {}): Promise<{ s: PgStack; slack: FakeSlack; url: string }> {
  const slack = await startFakeSlack(SECRET);
  t.teardown(() => slack.close());
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '20s', ...approval }, { approvals: slackConfig(issuer, slack) }));
  return { s, slack, url: `${s.tg.gate.adminUrl}/slack/interactions` };
}

/** The held call's approval, once its Slack message with buttons has arrived. */
async function announced(s: PgStack, slack: FakeSlack): Promise<string> {
  const [pending] = await waitForPending(s);
  await until(() => slack.announced.length > 0, 10_000);
  slack.button(pending!.id, APPROVE);
  return pending!.id;
}

t.test('slack: two SREs press Approve in the message; each press updates it, the second lets the held call through', async (t) => {
  const { s, slack, url } = await stackWithSlack(t, { min_approvals: 2 });
  const held = createDashboard(s);
  const id = await announced(s, slack);
  t.match(slack.announced[0]!.text, /agent agent-1 wants to POST \/api\/v1\/dashboard/);

  const bob = await slack.click(url, 'UBOB', id, APPROVE);
  t.same([bob.status, bob.json.ok, bob.json.status], [200, true, 'pending'], 'one of two approvals');
  await until(() => slack.responses(bob.responseUrl).length > 0, 10_000);
  const afterBob = slack.responses(bob.responseUrl)[0]!;
  t.equal(afterBob.replace_original, true, 'the message is replaced');
  t.match(JSON.stringify(afterBob.blocks), /1 of 2/);
  t.match(JSON.stringify(afterBob.blocks), /approved by `bob`/);
  t.match(JSON.stringify(afterBob.blocks), /keyward_approve/, 'still pending: the buttons stay');

  const again = await slack.click(url, 'UBOB', id, APPROVE);
  t.equal(again.json.error?.code, 'approval_duplicate', 'one person counts once, from Slack as on the page');

  const carol = await slack.click(url, 'UCAROL', id, APPROVE);
  t.same([carol.status, carol.json.status], [200, 'approved']);
  t.equal((await held).status, 200, 'the held call proceeded');
  await until(() => slack.responses(carol.responseUrl).length > 0, 10_000);
  const afterCarol = JSON.stringify(slack.responses(carol.responseUrl)[0]!.blocks);
  t.match(afterCarol, /\*Approved/);
  t.notMatch(afterCarol, /keyward_approve/, 'decided: no buttons any more');
  t.same(await approvalSteps(s, id), ['requested', 'approval', 'approval', 'approved', 'consumed']);
  const actors = await s.db.pool.query(`SELECT actor, reason FROM "${s.db.schema}".approval_events WHERE approval_id = $1 AND step = 'approval' ORDER BY time, seq`, [id]);
  t.same(actors.rows, [{ actor: 'bob', reason: 'approved in Slack (UBOB)' }, { actor: 'carol', reason: 'approved in Slack (UCAROL)' }], 'the audit names the approver and that it came from Slack');
});

t.test('slack: Deny in the message refuses the held call with the reason', async (t) => {
  const { s, slack, url } = await stackWithSlack(t);
  const held = createDashboard(s);
  const id = await announced(s, slack);
  const deny = await slack.click(url, 'UBOB', id, DENY);
  t.same([deny.status, deny.json.status], [200, 'denied']);
  const res = await held;
  t.equal(res.status, 403);
  t.equal(res.json.error?.code, 'approval_denied');
  t.equal(res.json.error?.reason, 'denied in Slack (UBOB)');
});

t.test('slack attacker: forged, stale, replayed, unmapped, self-approving and out-of-group presses are refused with their code; nothing is decided', async (t) => {
  const { s, slack, url } = await stackWithSlack(t);
  const held = createDashboard(s);
  const id = await announced(s, slack);

  const forged = await slack.click(url, 'UBOB', id, APPROVE, { secret: 'not-the-signing-secret-0000' });
  t.same([forged.status, forged.json.error?.code], [401, 'slack_signature_invalid'], 'signed with another secret');

  const fresh = await slack.click(url, 'UDAVE', id, APPROVE);
  const tampered = await slack.click(url, 'UBOB', id, APPROVE, { raw: { ...fresh.sent, body: fresh.sent.body.replace('UDAVE', 'UBOB') } });
  t.same([tampered.status, tampered.json.error?.code], [401, 'slack_signature_invalid'], 'a signed body with the user changed');

  const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fresh.sent.body });
  t.same([unsigned.status, ((await unsigned.json()) as { error: { code: string } }).error.code], [401, 'slack_request_stale'], 'no timestamp, no signature');

  const stale = await slack.click(url, 'UBOB', id, APPROVE, { timestamp: Math.floor(Date.now() / 1000) - 301 });
  t.same([stale.status, stale.json.error?.code], [401, 'slack_request_stale'], 'correctly signed, but older than five minutes');
  const future = await slack.click(url, 'UBOB', id, APPROVE, { timestamp: Math.floor(Date.now() / 1000) + 301 });
  t.equal(future.json.error?.code, 'slack_request_stale', 'or dated in the future');

  t.same([fresh.status, fresh.json.error?.code], [200, 'approval_forbidden'], 'dave is mapped, but not in an approver group');
  await until(() => slack.responses(fresh.responseUrl).length > 0, 10_000);
  const told = slack.responses(fresh.responseUrl)[0]!;
  t.equal(told.response_type, 'ephemeral', 'only dave is told');
  t.equal(told.replace_original, false, 'the message stays as it is');
  t.match(told.text, /approval_forbidden/);

  const replay = await slack.click(url, 'UDAVE', id, APPROVE, { raw: fresh.sent });
  t.same([replay.status, replay.json.error?.code], [409, 'slack_replayed'], 'the identical signed request again');

  const unmapped = await slack.click(url, 'UMALLORY', id, APPROVE);
  t.same([unmapped.status, unmapped.json.error?.code], [200, 'slack_user_unmapped']);
  const self = await slack.click(url, 'USELF', id, APPROVE);
  t.equal(self.json.error?.code, 'approval_self', 'the agent owner, in sre, still cannot approve its agent');

  const notOurs = await slack.click(url, 'UBOB', id, APPROVE, { raw: (() => {
    const body = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'UBOB' }, actions: [{ action_id: 'other_app', value: id }] }) }).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    return { body, timestamp: ts, signature: forgedOk(body, ts) };
  })() });
  t.same([notOurs.status, notOurs.json.error?.code], [400, 'slack_payload_invalid']);

  const a = (await s.db.pool.query(`SELECT status FROM "${s.db.schema}".approvals WHERE id = $1`, [id])).rows[0] as { status: string };
  t.equal(a.status, 'pending', 'nothing decided');
  t.equal((await s.db.pool.query(`SELECT 1 FROM "${s.db.schema}".approval_votes WHERE approval_id = $1`, [id])).rowCount, 0, 'no vote recorded');
  t.same(await approvalSteps(s, id), ['requested']);
  t.equal(s.datadog.received.filter((r) => r.path === '/api/v1/dashboard').length, 0, 'nothing forwarded');

  // The real approver still can; their own press replayed afterwards is refused, not counted again.
  const bob = await slack.click(url, 'UBOB', id, APPROVE);
  t.equal(bob.json.status, 'approved');
  t.equal((await held).status, 200);
  const bobAgain = await slack.click(url, 'UBOB', id, APPROVE, { raw: bob.sent });
  t.equal(bobAgain.json.error?.code, 'slack_replayed');
  t.notOk(s.tg.logs().some((l) => l.includes(SECRET)), 'the signing secret never appears in the logs');
});

t.test('slack: a press outside the rule window is refused with approval_window_closed', async (t) => {
  const tomorrow = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 1) % 7];
  const { s, slack, url } = await stackWithSlack(t, { hold: '300ms', window: { days: [tomorrow] } });
  const held = createDashboard(s);
  const id = await announced(s, slack);
  const r = await slack.click(url, 'UBOB', id, APPROVE);
  t.same([r.status, r.json.error?.code], [200, 'approval_window_closed']);
  t.equal((await held).json.error?.code, 'approval_pending', 'the call is still held, not approved');
  t.same(await approvalSteps(s, id), ['requested']);
});


t.test('slack attacker: a signed press whose response_url points elsewhere is decided, but keyward posts nothing there', async (t) => {
  const { s, slack, url } = await stackWithSlack(t);
  let hits = 0;
  const elsewhere = http.createServer((_req, res) => {
    hits++;
    res.end('{}');
  });
  await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => elsewhere.close(() => r())));
  const held = createDashboard(s);
  const id = await announced(s, slack);
  const target = `http://127.0.0.1:${(elsewhere.address() as { port: number }).port}/internal`;
  const press = await slack.click(url, 'UBOB', id, APPROVE, { responseUrl: target });
  t.same([press.status, press.json.status], [200, 'approved'], 'a genuine press by a mapped approver still counts');
  t.equal((await held).status, 200);
  await until(() => s.tg.logs().some((l) => l.includes('outside approvals.slack.response_origin')), 10_000);
  t.equal(hits, 0, 'nothing was sent to the other host');
  t.notOk(s.tg.logs().some((l) => l.includes('/internal')), 'nor its URL logged');
});

/** Signed with the real secret: a genuine Slack request, just not for a keyward button. */
function forgedOk(body: string, ts: string): string {
  return slackSignature(SECRET, ts, body);
}
