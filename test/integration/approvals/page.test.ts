import { chromium } from 'playwright-core';
import t from 'tap';
import { approvalConfig, createDashboard, waitForPending } from '../../helpers/approvals.js';
import { startPgStack } from '../../helpers/pg-stack.js';

// Debian's chromium, installed by .ci/run (apt-get install chromium).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

t.test('approvals page: a human sees the masked payload live, approves in the browser, the held call proceeds', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '25s' }));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`${s.tg.gate.adminUrl}/approvals`);
  await page.locator('#status').filter({ hasText: 'Paste your approver token' }).waitFor();

  const token = await s.issuer.mint({ subject: 'bob', groups: ['sre'] });
  await page.fill('#token', token);
  await page.dispatchEvent('#token', 'change');
  await page.locator('#status').filter({ hasText: '0 pending' }).waitFor();

  // The agent's call arrives while the page is open: it shows up without a reload.
  const secretBody = JSON.stringify({ title: 'ops', description: 'webhook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', layout_type: 'ordered', widgets: [] });
  const held = createDashboard(s, secretBody);
  const [pending] = await waitForPending(s);
  const card = page.locator(`#approval-${pending!.id}`);
  await card.waitFor({ timeout: 15_000 });
  const shown = await card.locator('pre.body').textContent();
  t.match(shown, /"title": "ops"/, 'the payload is shown, pretty-printed');
  t.notOk(shown?.includes('hooks.slack.com/services/T00000000'), 'the secret in it is masked on the page');
  t.match(shown, /\[REDACTED:/);

  await card.locator('button.approve').click();
  await page.locator('#notice').filter({ hasText: `Approved ${pending!.id}` }).waitFor();
  const res = await held;
  t.equal(res.status, 200, 'the held call went through after the click');
  await page.locator('#status').filter({ hasText: '0 pending' }).waitFor();
});
