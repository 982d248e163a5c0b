import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { slackSignature } from '../../src/approvals/slack.js';

/** A Slack message as keyward posted it (incoming webhook or response_url). */
export interface SlackMessage {
  text: string;
  replace_original?: boolean;
  response_type?: string;
  blocks?: { type: string; elements?: { action_id?: string; value?: string; url?: string }[]; text?: { text: string } }[];
}

export interface ClickOptions {
  /** Seconds since the epoch Slack stamps the request with (default: now). */
  timestamp?: number;
  /** Sign with this secret instead of the app's (an impostor). */
  secret?: string;
  /** Send exactly this body (a replay) instead of building one. */
  raw?: { body: string; timestamp: string; signature: string };
  /** Put this response_url in the payload instead of the fake's own. */
  responseUrl?: string;
}

export interface Click {
  status: number;
  json: { ok: boolean; status?: string; error?: { code: string } };
  /** What was sent, for a replay. */
  sent: { body: string; timestamp: string; signature: string };
  /** Where keyward answers this click (Slack's response_url for it). */
  responseUrl: string;
}

/**
 * A local Slack: an incoming webhook that keeps the messages keyward announces, a Slack user pressing
 * a button in one of them (the block_actions payload, form-encoded and signed as Slack signs it), and
 * the response_url that keeps keyward's replies to each press.
 */
export async function startFakeSlack(signingSecret: string) {
  const announced: SlackMessage[] = [];
  const responses = new Map<string, SlackMessage[]>();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackMessage;
    if (req.url === '/webhook') announced.push(msg);
    else if (req.url?.startsWith('/response/')) responses.get(req.url.slice('/response/'.length))?.push(msg);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  /** The button `action_id` of the announced message for this approval. */
  function button(approvalId: string, actionId: string) {
    for (const m of announced) {
      for (const b of m.blocks ?? []) for (const e of b.elements ?? []) if (e.action_id === actionId && e.value === approvalId) return e;
    }
    throw new Error(`no ${actionId} button for ${approvalId} in the announced messages`);
  }

  return {
    webhookUrl: `${base}/webhook`,
    /** Where Slack's response_url points (approvals.slack.response_origin). */
    origin: base,
    announced,
    /** Replies keyward posted to one click's response_url. */
    responses: (responseUrl: string) => responses.get(responseUrl.slice(`${base}/response/`.length)) ?? [],
    button,
    /** Slack user `userId` presses `actionId` on the message of `approvalId`; Slack posts it to keyward. */
    async click(interactionsUrl: string, userId: string, approvalId: string, actionId: string, options: ClickOptions = {}): Promise<Click> {
      const id = randomUUID();
      responses.set(id, []);
      const responseUrl = `${base}/response/${id}`;
      let sent = options.raw;
      if (!sent) {
        const value = button(approvalId, actionId).value!;
        const payload = {
          type: 'block_actions',
          user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T0FAKE' },
          api_app_id: 'A0FAKE',
          team: { id: 'T0FAKE', domain: 'fake' },
          container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0FAKE', is_ephemeral: false },
          trigger_id: `${Date.now()}.fake`,
          channel: { id: 'C0FAKE', name: 'approvals' },
          response_url: options.responseUrl ?? responseUrl,
          actions: [{ action_id: actionId, block_id: `keyward_${approvalId}`, value, type: 'button', action_ts: String(Date.now() / 1000) }],
        };
        const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
        const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
        sent = { body, timestamp, signature: slackSignature(options.secret ?? signingSecret, timestamp, body) };
      }
      const res = await fetch(interactionsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': sent.timestamp, 'x-slack-signature': sent.signature },
        body: sent.body,
      });
      return { status: res.status, json: (await res.json()) as Click['json'], sent, responseUrl };
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type FakeSlack = Awaited<ReturnType<typeof startFakeSlack>>;
