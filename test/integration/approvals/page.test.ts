import { mkdirSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';
import t from 'tap';
import { approvalConfig, createDashboard, waitForPending } from '../../helpers/approvals.js';
import { signInConfig } from '../../helpers/approver-sign-in.js';
import { KEYS } from '../../helpers/gate.js';
import { startPgStack, type PgStack } from '../../helpers/pg-stack.js';

// Debian's chromium, installed by .ci/run (apt-get install chromium).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Screenshots for a human to look at (gitignored).
const ARTIFACTS = new URL('../../../test-artifacts/approvals-page/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
const PHONE = { width: 390, height: 844 };

async function launch(t: { teardown(fn: () => unknown): void }) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
  const page = await context.newPage();
  // A script error on the page fails the test that caused it, with its message.
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

/** The agent's update of a dashboard (PUT), as the official client sends it. */
async function updateDashboard(s: PgStack, id: string, body: unknown) {
  const res = await fetch(`${s.door.url}/api/v1/dashboard/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${await s.issuer.mint({ subject: 'agent-1', groups: ['agents'], extra: { owner: 'owner-alice' } })}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Sign in on the dev issuer's form, as a person would. */
async function signInOnPage(page: Page, subject: string) {
  await page.locator('#signin').click();
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Groups').fill('sre');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function noSideways(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate<{ scrollWidth: number; innerWidth: number }>('({ scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth })');
}

t.test('approvals page: approve_url opens that approval after sign-in; it shows who, when, why and the diff; approved by keyboard', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '2s' }, signInConfig(issuer)));
  s.datadog.dashboards.set('abc-def-ghi', { id: 'abc-def-ghi', title: 'ops', description: 'owned by bob@example.com', layout_type: 'ordered', widgets: [], author_handle: 'bob@example.com' });
  const change = { title: 'ops v2', description: 'ask alice@example.com', layout_type: 'ordered', widgets: [] };
  const first = await updateDashboard(s, 'abc-def-ghi', change);
  t.equal(first.status, 429, 'held, undecided');
  const approveUrl = String(first.json.approve_url);
  const id = String(first.json.approval_id);
  t.equal(approveUrl, `${s.tg.gate.adminUrl}/approvals#${id}`);
  // The agent keeps retrying, as the official client does on 429.
  let done = false;
  const agent = (async () => {
    for (;;) {
      const r = await updateDashboard(s, 'abc-def-ghi', change).catch(() => ({ status: 0, json: {} }));
      if (r.status !== 429 || done) return r;
    }
  })();
  t.teardown(() => {
    done = true;
  });

  const page = await launch(t);
  await page.goto(approveUrl);
  await signInOnPage(page, 'bob');
  const card = page.locator(`#approval-${id}`);
  await card.locator('.findings').waitFor({ timeout: 15_000 });
  t.equal(new URL(page.url()).hash, `#${id}`, 'back at the approval after the issuer');
  const text = (await card.textContent()) ?? '';
  t.match(text, 'PUT /api/v1/dashboard/abc-def-ghi');
  const field = async (name: string) => (await card.locator(`dt:text-is("${name}") + dd`).textContent())?.trim();
  t.equal(await field('Agent'), 'agent-1');
  t.equal(await field('Issuer'), s.issuer.issuer);
  t.equal(await field('Groups'), 'agents');
  t.equal(await field('Owner'), 'owner-alice');
  t.equal(await field('Client id'), 'client-agent-1');
  t.match(await field('Requested'), /CET|CEST|GMT\+1|GMT\+2/, 'requested at, with the time zone');
  t.match(await field('Waiting'), /^yes, the agent is still waiting/);
  t.match(await field('Expiry'), /^expires in 9m \d+s \(at .*(CET|CEST|GMT\+1|GMT\+2)\)$/, 'countdown and time zone');
  t.match(await field('Rule'), /^changes/);
  t.equal(await field('Class'), 'config-change');
  t.equal(await field('Findings'), '1 email masked');
  t.match(await card.locator('.risk').textContent(), /Changes Datadog configuration/);
  const diff = (await card.locator('.diff').textContent()) ?? '';
  t.match(diff, '$.title− "ops"+ "ops v2"', 'the change against the object in Datadog now');
  t.match(diff, '$.author_handle (not in the request)');
  t.notOk(text.includes('bob@example.com') || text.includes('alice@example.com'), 'the current object and the body are masked');
  const got = s.datadog.received.filter((r) => r.method === 'GET' && r.path === '/api/v1/dashboard/abc-def-ghi');
  t.ok(got.length >= 1, 'read through the connection');
  t.equal(got[0]!.headers['dd-api-key'], KEYS.prodApi, "with the connection's own keys");
  const expiry = () => page.locator(`#approval-${id} .expires`).textContent();
  const before = await expiry();
  await page.waitForTimeout(1100);
  t.not(await expiry(), before, 'the countdown ticks');
  await page.screenshot({ path: `${ARTIFACTS}approval-desktop.png`, fullPage: true });

  await page.setViewportSize(PHONE);
  await page.waitForTimeout(100);
  const phone = await noSideways(page);
  t.ok(phone.scrollWidth <= phone.innerWidth, `no sideways scroll on a phone (${phone.scrollWidth} <= ${phone.innerWidth})`);
  const masked = await card.locator('pre.body').boundingBox();
  t.ok(masked && masked.x >= 0 && masked.x + masked.width <= PHONE.width, 'the masked body fits the screen');
  await page.screenshot({ path: `${ARTIFACTS}approval-phone.png`, fullPage: true });

  // By keyboard only: Tab to Approve, Enter.
  await page.locator('body').focus();
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate<boolean>("document.activeElement?.textContent === 'Approve'");
  }
  t.ok(reached, 'Approve is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.locator('#notice').filter({ hasText: `Approved ${id}` }).waitFor();
  const res = await agent;
  t.equal(res.status, 200, "the agent's retry went through");
  t.equal(s.datadog.dashboards.get('abc-def-ghi')?.title, 'ops v2', 'and changed the dashboard');
});

t.test('approvals page: a denial needs a reason and says so; history shows who decided, when and why, and is searchable', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '1s' }, signInConfig(issuer)));
  const page = await launch(t);
  await page.goto(`${s.tg.gate.adminUrl}/approvals`);
  await signInOnPage(page, 'bob');
  await page.locator('#status').filter({ hasText: '0 pending' }).waitFor();

  await createDashboard(s, JSON.stringify({ title: 'first', layout_type: 'ordered', widgets: [] }));
  await createDashboard(s, JSON.stringify({ title: 'second', layout_type: 'ordered', widgets: [] }));
  const [second, first] = await waitForPending(s, 2);
  // Both show up without a reload; the list links to each approval's view.
  await page.locator(`#approval-${first!.id}`).waitFor({ timeout: 15_000 });
  await page.locator(`#approval-${second!.id} h2 a`).click();
  await page.locator(`#approval-${second!.id} .findings`).waitFor();
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.locator('#notice').filter({ hasText: 'A denial needs a reason' }).waitFor();
  t.equal(await page.evaluate<string>('document.activeElement?.id'), 'reason', 'the reason field has the focus');
  await page.getByLabel('Reason').fill('not during the change freeze');
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.locator('#notice').filter({ hasText: `Denied ${second!.id}` }).waitFor();

  await page.goto(`${s.tg.gate.adminUrl}/approvals#${first!.id}`);
  // A hash change re-renders in place: type into the first approval's own reason field, not the
  // denied one's that is still on screen for an instant.
  await page.locator(`#reason[data-approval="${first!.id}"]`).fill('looks fine');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.locator('#notice').filter({ hasText: `Approved ${first!.id}` }).waitFor();
  await createDashboard(s, JSON.stringify({ title: 'first', layout_type: 'ordered', widgets: [] })); // consumes it

  await page.getByRole('link', { name: 'History' }).click();
  await page.locator(`#history-${second!.id}`).waitFor();
  const denied = (await page.locator(`#history-${second!.id}`).textContent()) ?? '';
  t.match(denied, /^denied · POST \/api\/v1\/dashboard/);
  t.match(denied, /denied by bob at .* — not during the change freeze/, 'who, when, why');
  await page.locator(`#history-${first!.id}`).waitFor();
  t.match(await page.locator(`#history-${first!.id}`).textContent(), /consumed .*approved by bob at .* — looks fine/);
  await page.getByLabel('Search decided approvals').fill('freeze');
  await page.locator(`#history-${first!.id}`).waitFor({ state: 'detached' });
  t.equal(await page.locator('#history section').count(), 1, 'search narrows to the denial');
  await page.setViewportSize(PHONE);
  const phone = await noSideways(page);
  t.ok(phone.scrollWidth <= phone.innerWidth, 'history fits a phone');
  await page.screenshot({ path: `${ARTIFACTS}history-phone.png`, fullPage: true });
});

t.test('approvals page: without approvals.sign_in it says how to decide instead', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer));
  const page = await launch(t);
  await page.goto(`${s.tg.gate.adminUrl}/approvals`);
  await page.getByText('Sign-in is not configured here').waitFor();
  t.equal(await page.locator('#signin').count(), 0, 'no sign-in link that cannot work');
});
