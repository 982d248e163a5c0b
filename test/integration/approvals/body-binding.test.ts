import t, { type Test } from 'tap';
import { EXT_AUTHZ_NAMESPACE } from '../../../src/envoy/contract.js';
import { envoyProtos } from '../../../src/envoy/protos.js';
import type { ExternalProcessorClient } from '../../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingResponse__Output } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { CheckResponse__Output } from '../../../proto/gen/envoy/service/auth/v3/CheckResponse.js';
import { approvalConfig, approverCall } from '../../helpers/approvals.js';
import { startPgStack, type PgStack } from '../../helpers/pg-stack.js';

// Envoy's ext_authz calls Check as soon as its buffer reaches max_request_bytes and flags the body
// partial only when it already holds more: a body whose chunks add up to exactly the limit reaches
// ext_authz truncated with `x-envoy-auth-partial-body: false`. The approval is then granted for the
// prefix, and ext_proc, which sees the whole body, must refuse anything but the approved bytes.
// (A JSON prefix is refused at ext_authz already, as invalid JSON; text bodies are not.)

const FULL = Buffer.from(JSON.stringify({ title: 'harmless title', layout_type: 'ordered', widgets: [], description: 'x'.repeat(64) + ' and then the part nobody approved' }));
const PREFIX = FULL.subarray(0, 64);

async function approvedCheck(t: Test, s: PgStack, body: Buffer): Promise<CheckResponse__Output> {
  const headers = { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'text/plain', 'x-envoy-auth-partial-body': 'false' };
  const check = () => s.tg.check({ method: 'POST', path: '/api/v1/dashboard', headers, body });
  const first = await check();
  t.equal(first.denied_response?.status?.code, 'TooManyRequests', 'held, then 429 pending');
  const id = (JSON.parse(first.denied_response!.body!) as { approval_id: string }).approval_id;
  t.equal((await approverCall(s, `/api/approvals/${id}/approve`, 'bob', ['sre'], { method: 'POST', body: {} })).status, 200);
  const retry = await check();
  t.equal(retry.status?.code, 0, 'the retry is allowed');
  return retry;
}

/** Envoy's ext_proc stream for that call: headers, then the buffered body (when asked for). */
async function procStream(s: PgStack, allowed: CheckResponse__Output, body: Buffer): Promise<ProcessingResponse__Output[]> {
  const Ctor = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;
  const client = new Ctor(s.tg.gate.procAddress, s.tg.channel.credentials, s.tg.channel.options) as ExternalProcessorClient;
  try {
    const call = client.Process();
    const answers: ProcessingResponse__Output[] = [];
    const next = () => new Promise<ProcessingResponse__Output>((resolve) => call.once('data', resolve));
    const headers = [
      [':method', 'POST'],
      [':path', '/api/v1/dashboard'],
      ['content-type', 'text/plain'],
      ['content-length', String(body.length)],
    ].map(([key, v]) => ({ key, raw_value: Buffer.from(v!) }));
    let answer = next();
    call.write({ request_headers: { headers: { headers }, end_of_stream: false }, metadata_context: { filter_metadata: { [EXT_AUTHZ_NAMESPACE]: allowed.dynamic_metadata! } } });
    answers.push(await answer);
    if (answers[0]!.response === 'request_headers' && answers[0]!.mode_override?.request_body_mode === 'BUFFERED') {
      answer = next();
      call.write({ request_body: { body, end_of_stream: true } });
      answers.push(await answer);
    }
    call.end();
    return answers;
  } finally {
    client.close();
  }
}

t.test('approvals: ext_proc refuses a body other than the approved one (Envoy truncated it without saying so)', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const allowed = await approvedCheck(t, s, PREFIX);
  const answers = await procStream(s, allowed, FULL);
  t.equal(answers[0]!.mode_override?.request_body_mode, 'BUFFERED', 'an approved call has its body checked whole');
  const refusal = answers[1]!;
  t.equal(refusal.response, 'immediate_response');
  t.equal(refusal.immediate_response?.status?.code, 'Forbidden');
  t.equal((JSON.parse(Buffer.from(refusal.immediate_response!.body).toString()) as { error: { code: string } }).error.code, 'approval_body_mismatch');
  const rows = await s.db.pool.query(`SELECT reason_code, masked_body FROM "${s.db.schema}".payloads WHERE direction = 'request' AND reason_code IS NOT NULL`);
  t.same(rows.rows, [{ reason_code: 'approval_body_mismatch', masked_body: null }], 'audited, without the unapproved body');
  t.equal(s.datadog.received.length, 0, 'nothing reached Datadog');
});

t.test('approvals: the approved body itself passes ext_proc', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const allowed = await approvedCheck(t, s, FULL);
  const answers = await procStream(s, allowed, FULL);
  t.equal(answers[1]!.response, 'request_body', 'the body continues');
});

t.test('approvals: with request masking off, an approved call still has its body buffered and checked', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }, { masking: { request: false } }));
  const allowed = await approvedCheck(t, s, PREFIX);
  const answers = await procStream(s, allowed, FULL);
  t.equal(answers[0]!.mode_override?.request_body_mode, 'BUFFERED');
  t.equal(answers[1]!.immediate_response?.status?.code, 'Forbidden');
  const same = await procStream(s, await approvedCheck(t, s, FULL), FULL);
  t.equal(same[1]!.response, 'request_body', 'the approved body continues, unmasked as configured');
  t.equal(same[1]!.request_body?.response?.body_mutation, null, 'and unchanged');
});
