/**
 * The approvals page served at /approvals on the admin listener. Static HTML; data comes from the
 * JSON API with the approver's session cookie (HttpOnly: the script never sees it) and the session's
 * CSRF token on every decision. `#<approval id>` opens one approval (approve_url links there),
 * `#history` the decided ones. Everything from the API is inserted with textContent, never as HTML.
 */
const STYLE = `
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 16px; display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
  header h1 { font-size: 16px; margin: 0; flex: 1 1 auto; }
  header a, header button.link { color: #fff; }
  nav { display: flex; gap: 12px; }
  main { max-width: 980px; margin: 16px auto; padding: 0 12px; }
  .card { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 14px; margin-bottom: 14px; min-width: 0; }
  .card h2 { font-size: 15px; margin: 0 0 8px; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  .meta { color: #4a5263; margin: 4px 0; overflow-wrap: anywhere; }
  dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 12px; margin: 8px 0; }
  dt { color: #4a5263; }
  dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
  pre { background: #f0f2f5; padding: 10px; border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 420px; overflow-y: auto; margin: 8px 0; }
  .diff { border: 1px solid #dde1e7; border-radius: 4px; margin: 8px 0; }
  .change { padding: 6px 10px; border-top: 1px solid #eef0f3; overflow-wrap: anywhere; font-family: ui-monospace, monospace; font-size: 13px; }
  .change:first-child { border-top: 0; }
  .before { color: #9f1d14; } .after { color: #176a31; }
  .risk { background: #fff6e5; border-left: 4px solid #c77700; padding: 6px 10px; margin: 8px 0; }
  .waiting { font-weight: 600; }
  button, .button { font: inherit; padding: 8px 16px; border-radius: 4px; border: 1px solid #8891a3; cursor: pointer; margin: 4px 8px 4px 0; background: #fff; color: #1d2330; text-decoration: none; display: inline-block; }
  button.approve { background: #1f7a3a; color: #fff; border-color: #1f7a3a; }
  button.deny { background: #b42318; color: #fff; border-color: #b42318; }
  button.link { background: none; border: 0; padding: 0; margin: 0; text-decoration: underline; }
  :focus-visible { outline: 3px solid #2f6fed; outline-offset: 2px; }
  label { display: block; margin: 8px 0 4px; }
  textarea, input[type=search] { font: inherit; width: 100%; padding: 8px; border: 1px solid #8891a3; border-radius: 4px; }
  #status { min-height: 20px; color: #4a5263; }
  #notice { min-height: 20px; font-weight: 600; overflow-wrap: anywhere; }
  .empty { color: #4a5263; }
  @media (max-width: 600px) { dl { grid-template-columns: minmax(0, 1fr); } dt { margin-top: 6px; } header h1 { flex-basis: 100%; } }
`;

const SCRIPT = `
(() => {
  const $ = (id) => document.getElementById(id);
  const list = $('list'), status = $('status'), notice = $('notice'), who = $('who');
  // Each render is numbered: one that a newer render overtook while it awaited the API draws nothing
  // (a decision's re-render must not paint over the approval the approver opened next).
  let me = null, timers = [], renders = 0;
  const el = (tag, props, ...children) => { const e = document.createElement(tag); Object.assign(e, props || {}); children.forEach((c) => e.append(c)); return e; };
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const when = (iso) => new Date(iso).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  const left = (iso) => {
    const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
    if (s <= 0) return 'expired';
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return 'expires in ' + (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + r + 's';
  };
  const route = () => decodeURIComponent(location.hash.slice(1));
  const isId = (s) => /^[0-9a-f-]{36}$/.test(s);

  async function api(path, init) {
    const res = await fetch(path, Object.assign({ credentials: 'same-origin' }, init || {}));
    const data = await res.json().catch(() => ({ error: { code: 'internal_error', message: 'unreadable answer' } }));
    return { ok: res.ok, status: res.status, data };
  }
  const errorText = (d) => d.error.code + ': ' + d.error.message;

  async function signedIn() {
    const r = await api('/api/approvals/session');
    if (r.ok) { me = r.data; who.replaceChildren(el('span', { textContent: 'signed in as ' + me.subject + ' ' }), el('button', { className: 'link', id: 'signout', textContent: 'Sign out', onclick: signOut })); return true; }
    me = null;
    const target = '/approvals/login' + (isId(route()) ? '?approval=' + encodeURIComponent(route()) : '');
    who.replaceChildren();
    list.replaceChildren(el('section', { className: 'card' },
      el('h2', { textContent: 'Sign in to decide on held calls' }),
      r.data.error.sign_in
        ? el('p', {}, el('a', { className: 'button', id: 'signin', href: target, textContent: 'Sign in' }))
        : el('p', { textContent: 'Sign-in is not configured here (approvals.sign_in). Use keyward approvals with your token.' }),
      el('p', { className: 'meta', textContent: r.data.error.code === 'session_invalid' ? 'Your session ended; sign in again.' : '' })));
    status.textContent = '';
    return false;
  }

  async function signOut() {
    await api('/api/approvals/session', { method: 'DELETE', headers: { 'x-keyward-csrf': me.csrf_token } });
    location.hash = '';
    await show();
  }

  function clearTimers() { timers.forEach(clearInterval); timers = []; }
  function countdown(node, iso) { const tick = () => { node.textContent = left(iso) + ' (at ' + when(iso) + ')'; }; tick(); timers.push(setInterval(tick, 1000)); }

  function summary(a) {
    const c = el('section', { className: 'card', id: 'approval-' + a.id },
      el('h2', {}, el('a', { href: '#' + a.id, textContent: a.method + ' ' + a.path })),
      el('div', { className: 'meta', textContent: 'agent ' + a.agent.subject + ' · rule ' + a.rule + ' · ' + a.operation_class + ' · ' + a.findings_summary + ' · ' + (a.agent_waiting ? 'agent waiting' : 'agent not waiting') }));
    const exp = el('div', { className: 'meta expires' }); c.append(exp); countdown(exp, a.expires_at);
    c.dataset.id = a.id;
    return c;
  }

  function decision(v) {
    return el('li', { textContent: (v.decision === 'approve' ? 'approved by ' : 'denied by ') + v.approver + ' at ' + when(v.time) + (v.reason ? ' — ' + v.reason : '') });
  }

  function diffView(cur) {
    if (cur.state !== 'shown') {
      const why = { not_found: 'Datadog has no object at this path (the update would fail, or the path is wrong).', upstream_error: 'Datadog answered with an error.', unreachable: 'Datadog could not be reached.', not_json: 'The current object or the body is not JSON.', path_masked: 'The path holds masked parts, so the object cannot be read.', connection_unknown: 'The connection is no longer configured.', masking_failed: 'The current object could not be masked, so it is not shown.' }[cur.reason] || cur.reason;
      return el('p', { className: 'meta current-unavailable', textContent: 'Current object not shown: ' + why });
    }
    const rows = cur.changes.map((ch) => el('div', { className: 'change' },
      el('div', { textContent: ch.path + (ch.kind === 'added' ? ' (new)' : ch.kind === 'absent' ? ' (not in the request)' : '') }),
      ch.before === null ? '' : el('div', { className: 'before', textContent: '− ' + ch.before }),
      ch.after === null ? '' : el('div', { className: 'after', textContent: '+ ' + ch.after })));
    return el('div', {}, el('h3', { textContent: 'Change against the object in Datadog now' }),
      el('div', { className: 'diff' }, ...(rows.length ? rows : [el('div', { className: 'change', textContent: 'no difference' })])),
      cur.truncated ? el('p', { className: 'meta', textContent: 'more changes not shown' }) : '');
  }

  async function detail(id, stale) {
    const r = await api('/api/approvals/' + encodeURIComponent(id));
    if (stale()) return;
    if (!r.ok) { list.replaceChildren(el('p', { className: 'empty', textContent: errorText(r.data) })); return; }
    const a = r.data;
    status.textContent = 'Approval ' + a.id + ' · ' + a.status;
    const open = a.status === 'pending';
    let keepFocus = null;
    const wait = el('dd', { className: 'waiting', textContent: a.agent_waiting ? 'yes, the agent is still waiting (last asked ' + when(a.agent_last_seen_at) + ')' : 'no, the agent is not waiting now; it gets the decision when it retries' });
    const exp = el('dd', { className: 'expires' });
    const c = el('section', { className: 'card detail', id: 'approval-' + a.id },
      el('h2', { textContent: a.method + ' ' + a.path }),
      el('dl', {},
        el('dt', { textContent: 'Agent' }), el('dd', { textContent: a.agent.subject }),
        el('dt', { textContent: 'Issuer' }), el('dd', { textContent: a.agent.issuer }),
        el('dt', { textContent: 'Groups' }), el('dd', { textContent: a.agent.groups.length ? a.agent.groups.join(', ') : '(none recorded)' }),
        el('dt', { textContent: 'Owner' }), el('dd', { textContent: a.agent.owner || '(none)' }),
        el('dt', { textContent: 'Client id' }), el('dd', { textContent: a.agent.client_id || '(none)' }),
        el('dt', { textContent: 'Connection' }), el('dd', { textContent: a.connection }),
        el('dt', { textContent: 'Requested' }), el('dd', { className: 'requested', textContent: when(a.created_at) }),
        el('dt', { textContent: 'Waiting' }), wait,
        el('dt', { textContent: 'Expiry' }), exp,
        el('dt', { textContent: 'Rule' }), el('dd', { textContent: a.rule + ' · needs ' + a.min_approvals + ' approval(s), has ' + a.votes.filter((v) => v.decision === 'approve').length }),
        el('dt', { textContent: 'Class' }), el('dd', { textContent: a.operation_class }),
        el('dt', { textContent: 'Findings' }), el('dd', { className: 'findings', textContent: a.findings_summary })),
      el('p', { className: 'risk', textContent: a.risk }));
    countdown(exp, a.expires_at);
    exp.title = 'times in ' + tz;
    if (a.current) c.append(diffView(a.current));
    c.append(el('h3', { textContent: 'Body (masked)' }), el('pre', { className: 'body', textContent: a.masked_body === null ? '(no body)' : a.masked_body }));
    if (a.votes.length) c.append(el('ul', {}, ...a.votes.map(decision)));
    if (a.deny_reason) c.append(el('p', { className: 'meta', textContent: 'denial reason: ' + a.deny_reason }));
    if (open) {
      const reason = el('textarea', { id: 'reason', rows: 2, maxLength: 1000, placeholder: 'why (required to deny)' });
      // A re-render of the same approval (a vote, the agent's retry) keeps what the approver typed.
      const prev = document.getElementById('reason');
      if (prev && prev.dataset.approval === a.id) { reason.value = prev.value; keepFocus = document.activeElement === prev ? reason : null; }
      reason.dataset.approval = a.id;
      const approve = el('button', { className: 'approve', type: 'button', textContent: 'Approve' });
      const deny = el('button', { className: 'deny', type: 'button', textContent: 'Deny' });
      approve.onclick = () => decide(a.id, 'approve', reason);
      deny.onclick = () => decide(a.id, 'deny', reason);
      c.append(el('label', { htmlFor: 'reason', textContent: 'Reason' }), reason, el('div', {}, approve, deny));
    }
    c.append(el('p', {}, el('a', { href: '#', textContent: '← all pending' })));
    list.replaceChildren(c);
    if (keepFocus) keepFocus.focus();
  }

  async function pending(stale) {
    const r = await api('/api/approvals?status=pending');
    if (stale()) return;
    if (!r.ok) { status.textContent = errorText(r.data); list.replaceChildren(); return; }
    status.textContent = r.data.approvals.length + ' pending';
    list.replaceChildren(...(r.data.approvals.length ? r.data.approvals.map(summary) : [el('p', { className: 'empty', textContent: 'Nothing is waiting for you.' })]));
  }

  async function history(stale) {
    const box = el('input', { type: 'search', id: 'search', placeholder: 'search agent, path, rule, approver, reason' });
    const label = el('label', { htmlFor: 'search', textContent: 'Search decided approvals' });
    const results = el('div', { id: 'history' });
    const run = async () => {
      const r = await api('/api/approvals?status=history&q=' + encodeURIComponent(box.value));
      if (stale()) return;
      if (!r.ok) { results.replaceChildren(el('p', { textContent: errorText(r.data) })); return; }
      status.textContent = r.data.approvals.length + ' decided';
      results.replaceChildren(...(r.data.approvals.length ? r.data.approvals.map((a) => el('section', { className: 'card', id: 'history-' + a.id },
        el('h2', { textContent: a.status + ' · ' + a.method + ' ' + a.path }),
        el('div', { className: 'meta', textContent: 'agent ' + a.agent.subject + ' · rule ' + a.rule + ' · requested ' + when(a.created_at) + (a.decided_at ? ' · decided ' + when(a.decided_at) : '') }),
        a.votes.length ? el('ul', {}, ...a.votes.map(decision)) : el('p', { className: 'meta', textContent: a.status === 'expired' ? 'nobody decided before it expired' : '' }))) : [el('p', { className: 'empty', textContent: 'No decided approval matches.' })]));
    };
    let debounce;
    box.addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(run, 200); });
    list.replaceChildren(label, box, results);
    await run();
  }

  async function show() {
    const mine = ++renders;
    const stale = () => mine !== renders;
    clearTimers();
    if (!(await signedIn()) || stale()) return;
    const r = route();
    if (isId(r)) await detail(r, stale); else if (r === 'history') await history(stale); else await pending(stale);
  }

  async function decide(id, action, reasonField) {
    const reason = reasonField.value.trim();
    if (action === 'deny' && !reason) { notice.textContent = 'A denial needs a reason: write why, so the agent and its owner know what to change.'; reasonField.focus(); return; }
    const r = await api('/api/approvals/' + encodeURIComponent(id) + '/' + action, { method: 'POST', headers: { 'content-type': 'application/json', 'x-keyward-csrf': me.csrf_token }, body: JSON.stringify({ reason }) });
    notice.textContent = r.ok ? (action === 'approve' ? 'Approved ' : 'Denied ') + id + ' (now ' + r.data.status + ')' : errorText(r.data);
    await show();
  }

  async function live() {
    for (;;) {
      try {
        if (me) {
          const res = await fetch('/api/approvals/events', { credentials: 'same-origin' });
          if (res.ok && res.body) {
            const reader = res.body.getReader();
            const decoder = new TextDecoder();
            // Catch up on what changed before the stream was open, then follow it; an open approval
            // re-renders only for its own changes, and never under a reason being typed.
            const typing = () => document.activeElement && ['TEXTAREA', 'INPUT'].includes(document.activeElement.tagName);
            if (!isId(route()) && !typing()) await show();
            let buffered = '';
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              buffered += decoder.decode(value, { stream: true });
              const events = buffered.split('\\n\\n');
              buffered = events.pop();
              const ids = events.filter((e) => e.startsWith('event: change')).map((e) => { try { return JSON.parse(e.slice(e.indexOf('data: ') + 6)).id; } catch (x) { return null; } });
              if (ids.length && !typing() && (!isId(route()) || ids.includes(route()))) await show();
            }
          }
        }
      } catch (e) { /* reconnect below */ }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  window.addEventListener('hashchange', () => { notice.textContent = ''; show(); });
  show().then(live);
})();
`;

export const APPROVALS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>keyward · approvals</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>keyward · approvals</h1>
  <nav aria-label="views"><a href="#">Pending</a><a href="#history">History</a></nav>
  <div id="who"></div>
</header>
<main>
  <div id="status" role="status"></div>
  <div id="notice" role="alert"></div>
  <div id="list"></div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
