/**
 * The Check's answer, µs per call: protobufjs's fromObject + encode against keyward's own writer
 * (src/envoy/check-response-wire.ts), on an allow answer with a sealed context; beside it, the
 * request's protobufjs decode, the cost left on the other edge. Interleaved rounds, medians.
 * Compiled by `npm run bench` (tsconfig.bench.json): `node bench/results/build/bench/envoy-wire.js`.
 */
import { pathToFileURL } from 'node:url';
import type { CheckOutcome } from '../src/authz/types.js';
import { checkInputFromRequest, checkResponseFromOutcome } from '../src/envoy/authz-translate.js';
import { encodeCheckResponse } from '../src/envoy/check-response-wire.js';
import { envoyProtos } from '../src/envoy/protos.js';
import { agentCheckRequest, encodeCheckRequest } from './lib/frames.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 100) / 100;

export function run() {
  const method = envoyProtos().auth.envoy.service.auth.v3.Authorization.service.Check;
  const bytes = encodeCheckRequest(agentCheckRequest(`eyJ${'a'.repeat(700)}`, 'GET', '/api/v1/validate'));
  const context = {
    request_id: 'b6f0c2a4-3b0e-4a36-9c1e-2f1f5c3c9a10', issuer: 'http://127.0.0.1:39999', subject: 'agent-3', groups: ['agents'], client_id: 'bench', connection: 'default',
    operation_class: 'read' as const, rule: 'reads', approval_id: '', config_version: 'a1b2c3d4e5f6', approved_body_sha256: '', method: 'GET', path: '/api/v1/validate', expires_at: 1796667534123, seal: `v1.${'x'.repeat(86)}`,
  };
  const outcome: CheckOutcome = { kind: 'allow', requestId: 'r', context, headersToRemove: ['authorization', 'dd-api-key', 'dd-application-key'], queryParamsToRemove: ['api_key', 'application_key'], responseHeaders: { 'x-keyward-request-id': context.request_id } };
  const micros = (fn: () => unknown, reps = 10_000) => {
    const start = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return ((performance.now() - start) / reps) * 1000;
  };
  const cases = {
    decode_protobufjs: () => checkInputFromRequest(method.requestDeserialize(bytes)),
    encode_protobufjs: () => method.responseSerialize(checkResponseFromOutcome(outcome)),
    encode_keyward: () => encodeCheckResponse(checkResponseFromOutcome(outcome)),
  };
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, [] as number[]])) as Record<keyof typeof cases, number[]>;
  for (const fn of Object.values(cases)) micros(fn, 2_000);
  for (let r = 0; r < 9; r++) for (const [k, fn] of Object.entries(cases)) samples[k as keyof typeof cases].push(micros(fn));
  const m = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, round(median(xs))])) as Record<keyof typeof cases, number>;
  return { request_bytes: bytes.length, us_per_call: m, encode_ratio: round(m.encode_keyward / m.encode_protobufjs) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(JSON.stringify(run(), null, 2) + '\n');
