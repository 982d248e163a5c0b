import t from 'tap';
import { ensureChromium, type ChromiumHost } from '../../helpers/chromium.js';

function host(over: Partial<ChromiumHost> & { present?: boolean; installWorks?: boolean }) {
  let present = over.present ?? false;
  let installs = 0;
  const h: ChromiumHost = {
    path: '/usr/bin/chromium',
    exists: () => present,
    isRoot: over.isRoot ?? true,
    hasApt: over.hasApt ?? true,
    install: async () => {
      installs++;
      if (over.installWorks === false) return 100;
      present = true;
      return 0;
    },
  };
  return { h, installs: () => installs };
}

t.test('test setup: Chromium present → nothing installed', async (t) => {
  const x = host({ present: true });
  t.same(await ensureChromium(x.h), { ok: true, installed: false });
  t.equal(x.installs(), 0);
});

t.test('test setup: Chromium missing, root with apt → installs Debian\'s package', async (t) => {
  const x = host({});
  t.same(await ensureChromium(x.h), { ok: true, installed: true });
  t.equal(x.installs(), 1);
});

t.test('test setup: Chromium missing, not root → stops with one line naming the command, installs nothing', async (t) => {
  const x = host({ isRoot: false });
  const r = await ensureChromium(x.h);
  t.equal(r.ok, false);
  const line = (r as { line: string }).line;
  t.match(line, /apt-get install -y chromium/);
  t.notMatch(line, /\n/, 'one line');
  t.equal(x.installs(), 0);
});

t.test('test setup: Chromium missing, no apt → one line with the command', async (t) => {
  const r = await ensureChromium(host({ hasApt: false }).h);
  t.match(r, { ok: false, line: /Chromium is missing at \/usr\/bin\/chromium; install it with: sudo apt-get install -y chromium/ });
});

t.test('test setup: apt fails → one line with the exit code and the command', async (t) => {
  const r = await ensureChromium(host({ installWorks: false }).h);
  t.match(r, { ok: false, line: /installing Chromium failed \(apt-get exit 100\); run: apt-get install -y chromium/ });
});

t.test('test setup: apt succeeds but CHROMIUM_PATH points elsewhere → one line saying so', async (t) => {
  const h: ChromiumHost = { path: '/opt/none/chromium', exists: () => false, isRoot: true, hasApt: true, install: async () => 0 };
  t.match(await ensureChromium(h), { ok: false, line: /\/opt\/none\/chromium is still missing; set CHROMIUM_PATH/ });
});
