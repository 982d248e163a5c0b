/**
 * The approvals page served at /approvals on the admin listener. Static HTML; data comes from the
 * JSON API with the approver's bearer token (kept in sessionStorage, sent as a header, never in a
 * URL). Everything from the API is inserted with textContent, never as HTML.
 */
export const APPROVALS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>keyward · approvals</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 12px 24px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 16px; margin: 0; flex: 1; }
  header input { width: 420px; padding: 6px 8px; border-radius: 4px; border: 0; }
  main { max-width: 980px; margin: 24px auto; padding: 0 16px; }
  .card { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 16px; margin-bottom: 16px; }
  .card h2 { font-size: 15px; margin: 0 0 8px; font-family: ui-monospace, monospace; }
  .meta { color: #5a6273; margin-bottom: 8px; }
  pre { background: #f0f2f5; padding: 12px; overflow: auto; max-height: 360px; border-radius: 4px; }
  button { padding: 6px 14px; border-radius: 4px; border: 1px solid #aab; cursor: pointer; margin-right: 8px; }
  button.approve { background: #1f7a3a; color: #fff; border-color: #1f7a3a; }
  button.deny { background: #b42318; color: #fff; border-color: #b42318; }
  .reason { width: 60%; padding: 6px; }
  #status { min-height: 20px; color: #5a6273; }
  #notice { min-height: 20px; font-weight: 600; }
  .empty { color: #5a6273; }
</style>
</head>
<body>
<header>
  <h1>keyward · pending approvals</h1>
  <input id="token" type="password" placeholder="your OIDC token (approver)" autocomplete="off">
</header>
<main>
  <div id="status" role="status"></div>
  <div id="notice" role="alert"></div>
  <div id="list"></div>
</main>
<script>
(() => {
  const tokenInput = document.getElementById('token');
  const list = document.getElementById('list');
  const status = document.getElementById('status');
  const notice = document.getElementById('notice');
  tokenInput.value = sessionStorage.getItem('keyward-token') || '';
  const headers = () => ({ authorization: 'Bearer ' + tokenInput.value.trim(), 'content-type': 'application/json' });
  const el = (tag, props, ...children) => { const e = document.createElement(tag); Object.assign(e, props || {}); children.forEach((c) => e.append(c)); return e; };

  async function load() {
    if (!tokenInput.value.trim()) { status.textContent = 'Paste your approver token to see pending approvals.'; return; }
    const res = await fetch('/api/approvals?status=pending', { headers: headers() });
    const data = await res.json();
    if (!res.ok) { status.textContent = 'Error: ' + data.error.code + ' - ' + data.error.message; list.replaceChildren(); return; }
    status.textContent = data.approvals.length + ' pending';
    list.replaceChildren(...(data.approvals.length ? data.approvals.map(card) : [el('p', { className: 'empty', textContent: 'Nothing is waiting for you.' })]));
  }

  function card(a) {
    const reason = el('input', { className: 'reason', placeholder: 'reason (required to deny)' });
    const approve = el('button', { className: 'approve', textContent: 'Approve' });
    const deny = el('button', { className: 'deny', textContent: 'Deny' });
    approve.onclick = () => decide(a.id, 'approve', reason.value);
    deny.onclick = () => decide(a.id, 'deny', reason.value);
    const c = el('section', { className: 'card', id: 'approval-' + a.id },
      el('h2', { textContent: a.method + ' ' + a.path }),
      el('div', { className: 'meta', textContent: 'agent ' + a.agent.subject + ' · connection ' + a.connection + ' · ' + a.operation_class + ' · rule ' + a.rule + ' · ' + a.votes.length + '/' + a.min_approvals + ' approvals · expires ' + new Date(a.expires_at).toLocaleString() }),
      el('pre', { className: 'body', textContent: a.masked_body === null ? '(no body)' : a.masked_body }),
      approve, deny, reason);
    c.dataset.id = a.id;
    return c;
  }

  async function decide(id, action, reason) {
    const res = await fetch('/api/approvals/' + id + '/' + action, { method: 'POST', headers: headers(), body: JSON.stringify({ reason }) });
    const data = await res.json();
    notice.textContent = res.ok ? (action === 'approve' ? 'Approved ' : 'Denied ') + id + ' (now ' + data.status + ')' : 'Error: ' + data.error.code + ' - ' + data.error.message;
    await load();
  }

  async function live() {
    for (;;) {
      try {
        if (tokenInput.value.trim()) {
          const res = await fetch('/api/approvals/events', { headers: headers() });
          if (res.ok && res.body) {
            const reader = res.body.getReader();
            // Catch up on what changed before the stream was open, then follow it.
            await load();
            const decoder = new TextDecoder();
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              if (decoder.decode(value).includes('event: change')) await load();
            }
          }
        }
      } catch (e) { /* reconnect below */ }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  tokenInput.addEventListener('change', () => { sessionStorage.setItem('keyward-token', tokenInput.value.trim()); load(); });
  load();
  live();
})();
</script>
</body>
</html>
`;
