import fc from 'fast-check';
import t from 'tap';
import { checkResponseFromOutcome } from '../../../src/envoy/authz-translate.js';
import { encodeCheckResponse } from '../../../src/envoy/check-response-wire.js';
import { envoyProtos } from '../../../src/envoy/protos.js';
import type { CheckOutcome } from '../../../src/authz/types.js';
import type { CheckResponse } from '../../../proto/gen/envoy/service/auth/v3/CheckResponse.js';

const method = envoyProtos().auth.envoy.service.auth.v3.Authorization.service.Check;
/** What Envoy reads: the bytes decoded by protobufjs, from keyward's encoder and from protobufjs's own. */
const decoded = (bytes: Buffer) => method.responseDeserialize(bytes);
const reference = (r: CheckResponse) => decoded(method.responseSerialize(r));

const context = {
  request_id: 'req-1',
  issuer: 'https://issuer.example',
  subject: 'agent-7',
  groups: ['agents', 'écrivains'],
  client_id: 'cli',
  connection: 'prod',
  operation_class: 'telemetry-write' as const,
  rule: 'metrics',
  approval_id: '',
  config_version: 'v1',
  approved_body_sha256: '',
  method: 'POST',
  path: '/api/v2/series',
  expires_at: 1_790_000_000_123,
  seal: 'x'.repeat(300),
};

t.test('check response wire: the bytes decode to what protobufjs encodes', async (t) => {
  const outcomes: CheckOutcome[] = [
    { kind: 'allow', requestId: 'r', context, headersToRemove: ['dd-api-key', 'authorization'], queryParamsToRemove: ['api_key'], responseHeaders: { 'x-ratelimit-limit': '10', 'x-keyward-request-id': 'r' } },
    { kind: 'allow', requestId: 'r', context: { ...context, groups: [], seal: '' }, headersToRemove: [], queryParamsToRemove: [], responseHeaders: {} },
    { kind: 'deny', requestId: 'r', code: 'policy_denied', httpStatus: 403, grpcStatus: 7, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'policy_denied', message: 'ü'.repeat(200) } }) },
    { kind: 'deny', requestId: 'r', code: 'budget_exceeded', httpStatus: 429, grpcStatus: 14, headers: {}, body: '' },
  ];
  for (const o of outcomes) {
    const r = checkResponseFromOutcome(o);
    t.same(decoded(encodeCheckResponse(r)), reference(r), `${o.kind} ${o.kind === 'deny' ? o.code : ''}`);
  }
});

t.test('check response wire: generated outcomes, long and non-ASCII strings, numbers of every size', async (t) => {
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ minLength: 120, maxLength: 20_000 }));
  const allow = fc.record({
    ctx: fc.record({ subject: text, seal: text, groups: fc.array(text, { maxLength: 5 }), expires_at: fc.oneof(fc.integer(), fc.double({ noNaN: true })) }),
    remove: fc.array(text, { maxLength: 4 }),
    headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), text, { maxKeys: 4 }),
  });
  const deny = fc.record({ http: fc.integer({ min: 100, max: 599 }), grpc: fc.integer({ min: 0, max: 16 }), body: text, headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), text, { maxKeys: 3 }) });
  fc.assert(
    fc.property(fc.oneof(allow.map((a) => ({ kind: 'allow' as const, requestId: 'r', context: { ...context, ...a.ctx }, headersToRemove: a.remove, queryParamsToRemove: a.remove, responseHeaders: a.headers })), deny.map((d) => ({ kind: 'deny' as const, requestId: 'r', code: 'policy_denied' as const, httpStatus: d.http, grpcStatus: d.grpc, headers: d.headers, body: d.body }))), (o) => {
      const r = checkResponseFromOutcome(o);
      t.same(decoded(encodeCheckResponse(r)), reference(r));
    }),
    { numRuns: 400, seed: 16 },
  );
});

t.test('check response wire: a member it does not write is refused, not dropped', async (t) => {
  t.throws(() => encodeCheckResponse({ ok_response: { query_parameters_to_set: [{ key: 'a', value: 'b' }] } }), /query_parameters_to_set|ok_response member/);
  t.throws(() => encodeCheckResponse({ status: { code: 0, message: '', details: [{ type_url: 'x', value: Buffer.from('y') }] } }), /status.details/);
  t.throws(() => encodeCheckResponse({ denied_response: { headers: [{ header: { key: 'a', value: 'b' }, append: { value: true } }] } }), /header option member/);
  t.throws(() => encodeCheckResponse({ status: { code: -1 } }), /varint -1/);
});
