import { Command } from 'commander';

interface ApiOptions {
  url: string;
  token?: string;
  json?: boolean;
}

interface ApprovalJson {
  id: string;
  status: string;
  agent: { subject: string };
  connection: string;
  method: string;
  path: string;
  operation_class: string;
  rule: string;
  votes: { approver: string; decision: string }[];
  min_approvals: number;
  expires_at: string;
  masked_body: string | null;
  deny_reason: string | null;
}

async function call(opts: ApiOptions, path: string, init: { method?: string; body?: unknown } = {}): Promise<unknown> {
  const token = opts.token ?? process.env.KEYWARD_TOKEN;
  if (!token) throw new Error('no approver token: pass --token or set KEYWARD_TOKEN');
  let res: Response;
  try {
    res = await fetch(new URL(path, opts.url), {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  } catch {
    throw new Error(`cannot reach the keyward admin listener at ${opts.url}`);
  }
  const body = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`${body.error?.code ?? res.status}: ${body.error?.message ?? 'request failed'}`);
  return body;
}

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'consumed'] as const;

/**
 * A full id as given; a prefix (as `approvals list` output is copied by hand) resolved against the
 * approvals this approver can see, in `statuses`. None or several: an error naming them.
 */
async function resolveId(opts: ApiOptions, id: string, statuses: readonly string[]): Promise<string> {
  if (FULL_ID.test(id)) return id;
  const prefix = id.trim().toLowerCase();
  if (!/^[0-9a-f-]+$/.test(prefix)) throw new Error(`approval_not_found: ${JSON.stringify(id)} is not an approval id or id prefix`);
  const seen = new Set<string>();
  for (const status of statuses) {
    const { approvals: list } = (await call(opts, `/api/approvals?status=${status}`)) as { approvals: ApprovalJson[] };
    for (const a of list) if (a.id.toLowerCase().startsWith(prefix)) seen.add(a.id);
  }
  const matches = [...seen];
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new Error(`approval_not_found: no ${statuses.length === 1 ? `${statuses[0]} ` : ''}approval you may decide has an id starting with ${prefix}`);
  throw new Error(`ambiguous id prefix ${prefix}: ${matches.length} approvals match (${matches.join(', ')}); give more characters`);
}

function line(a: ApprovalJson): string {
  return [a.id, a.status.padEnd(8), `${a.votes.filter((v) => v.decision === 'approve').length}/${a.min_approvals}`, a.agent.subject, `${a.method} ${a.path}`, a.connection, a.operation_class, `expires ${a.expires_at}`].join('  ');
}

function withApi(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'admin listener of any keyward replica', process.env.KEYWARD_ADMIN_URL ?? 'http://127.0.0.1:9000')
    .option('--token <jwt>', 'your OIDC token as an approver (default: $KEYWARD_TOKEN)')
    .option('--json', 'print JSON');
}

const run = (fn: () => Promise<void>) =>
  fn().catch((e: unknown) => {
    process.stderr.write(`error ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });

export function approvalsCommand(): Command {
  const approvals = new Command('approvals').description('List, inspect, approve and deny agent calls held for human approval.').addHelpText(
    'after',
    `
Talks to the admin HTTP API of any replica with your own OIDC token (an approver group member;
you cannot approve your own agent's calls). Web page: <admin url>/approvals.
An id may be shortened to any prefix that is unique among the approvals you may decide
(pending ones for approve/deny); an ambiguous prefix is an error listing the candidates.

Examples:
  export KEYWARD_TOKEN=$(your-idp-cli token)
  keyward approvals list
  keyward approvals show 6f1c…
  keyward approvals approve 6f1c… --reason "reviewed the dashboard JSON"
  keyward approvals deny 6f1c… --reason "not during the freeze"`,
  );

  withApi(approvals.command('list').description('Approval requests (pending by default).'))
    .option('--status <status>', 'pending | approved | denied | expired | consumed | open', 'pending')
    .action((o: ApiOptions & { status: string }) =>
      run(async () => {
        const { approvals: list } = (await call(o, `/api/approvals?status=${encodeURIComponent(o.status)}`)) as { approvals: ApprovalJson[] };
        process.stdout.write(o.json ? list.map((a) => JSON.stringify(a)).join('\n') + (list.length ? '\n' : '') : list.length ? list.map(line).join('\n') + '\n' : `no ${o.status} approvals\n`);
      }),
    );

  withApi(approvals.command('show').description('One approval: the call, the masked payload, the votes.').argument('<id>'))
    .action((id: string, o: ApiOptions) =>
      run(async () => {
        const full = await resolveId(o, id, ALL_STATUSES);
        const a = (await call(o, `/api/approvals/${encodeURIComponent(full)}`)) as ApprovalJson;
        if (o.json) return void process.stdout.write(JSON.stringify(a) + '\n');
        process.stdout.write(`${line(a)}\nrule ${a.rule}${a.deny_reason ? `\ndenied: ${a.deny_reason}` : ''}\nvotes: ${a.votes.map((v) => `${v.approver} ${v.decision}`).join(', ') || 'none'}\n\n${a.masked_body ?? '(no body)'}\n`);
      }),
    );

  for (const action of ['approve', 'deny'] as const) {
    withApi(approvals.command(action).description(action === 'approve' ? 'Approve a held call.' : 'Deny a held call (a reason is required).').argument('<id>'))
      .option('--reason <text>', action === 'deny' ? 'why (shown to the agent)' : 'optional note for the audit trail')
      .action((id: string, o: ApiOptions & { reason?: string }) =>
        run(async () => {
          // Checked here too: the server's answer to a missing reason is only "request_invalid".
          if (action === 'deny' && !o.reason?.trim()) throw new Error('request_invalid: deny needs --reason <text> (the agent is shown why)');
          const full = await resolveId(o, id, ['pending']);
          const a = (await call(o, `/api/approvals/${encodeURIComponent(full)}/${action}`, { method: 'POST', body: { reason: o.reason ?? '' } })) as ApprovalJson;
          process.stdout.write(o.json ? JSON.stringify(a) + '\n' : `${action === 'approve' ? 'approved' : 'denied'}: ${line(a)}\n`);
        }),
      );
  }
  return approvals;
}
