import type http from 'node:http';
import { ERRORS, type ErrorCode } from '../errors.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** A browser on its way through sign-in (a navigation, not the page's own fetch or a script). */
export function wantsPage(req: http.IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

/**
 * What a person sees when sign-in does not complete: the stable code, what it means and a way back.
 * The detail is keyward's own text (which check failed), never the issuer's answer.
 */
export function signInFailurePage(code: ErrorCode, detail: string | undefined): string {
  const spec = ERRORS[code];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in failed · keyward approvals</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}code{background:#f1f3f5;padding:.1rem .3rem;border-radius:3px}a.button{display:inline-block;margin-top:1rem;padding:.5rem 1rem;background:#3b5bdb;color:#fff;border-radius:4px;text-decoration:none}</style>
</head><body><main>
<h1>Sign-in failed</h1>
<p>${escapeHtml(spec.message)}</p>
<p>Code <code>${code}</code>${detail ? `: ${escapeHtml(detail)}` : ''}.</p>
<p>Signing in again starts a fresh attempt; an approval link opens after it as before.</p>
<a class="button" href="/approvals/login">Sign in again</a>
</main></body></html>`;
}
