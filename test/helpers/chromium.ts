/**
 * The approvals page test drives Debian's Chromium (playwright-core never downloads a browser).
 * Before the suite runs, a machine without it gets it installed (as root, with apt, like .ci/run)
 * or the run stops with one line naming the command — not a page test failing later for no clear reason.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_INSTALL = 'apt-get install -y chromium';

export interface ChromiumHost {
  readonly path: string;
  /** Is there an executable at this path? */
  exists(path: string): boolean;
  readonly isRoot: boolean;
  readonly hasApt: boolean;
  /** Runs `apt-get update` then `apt-get install -y chromium`; resolves with the exit code. */
  install(): Promise<number>;
}

export type ChromiumOutcome = { readonly ok: true; readonly installed: boolean } | { readonly ok: false; readonly line: string };

export async function ensureChromium(host: ChromiumHost): Promise<ChromiumOutcome> {
  if (host.exists(host.path)) return { ok: true, installed: false };
  if (!host.isRoot || !host.hasApt) return { ok: false, line: `keyward tests: Chromium is missing at ${host.path}; install it with: sudo ${CHROMIUM_INSTALL} (or set CHROMIUM_PATH)` };
  const code = await host.install();
  if (code !== 0) return { ok: false, line: `keyward tests: installing Chromium failed (apt-get exit ${code}); run: ${CHROMIUM_INSTALL}` };
  if (!host.exists(host.path)) return { ok: false, line: `keyward tests: apt installed chromium but ${host.path} is still missing; set CHROMIUM_PATH to the browser` };
  return { ok: true, installed: true };
}
