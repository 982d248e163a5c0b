import t from 'tap';
import { checkInputFromRequest, checkResponseFromOutcome } from '../../../src/envoy/authz-translate.js';
import { headersFromMap, metadataFrom, responseFor } from '../../../src/envoy/proc-translate.js';
import { fromStruct, toStruct } from '../../../src/envoy/struct.js';
import type { CheckRequest__Output } from '../../../proto/gen/envoy/service/auth/v3/CheckRequest.js';

t.test('envoy translation: Struct round trip keeps every JSON type', async (t) => {
  const data = { s: 'x', n: 1.5, b: true, z: null, l: ['a', 2, false], o: { deep: { er: 'y' } } };
  t.same(fromStruct(toStruct(data)), data);
});

t.test('envoy translation: CheckRequest headers (map or raw header_map), body bytes, partial flag', async (t) => {
  const req = {
    attributes: {
      request: {
        http: {
          method: 'post', path: '/api/v2/series', headers: { Authorization: 'Bearer x', 'x-envoy-auth-partial-body': 'true' },
          header_map: { headers: [{ key: 'X-Raw', value: '', raw_value: Buffer.from('raw') }] }, body: '', raw_body: Buffer.from('{}'),
        },
      },
    },
  } as unknown as CheckRequest__Output;
  t.match(checkInputFromRequest(req), { method: 'POST', path: '/api/v2/series', headers: { authorization: 'Bearer x', 'x-raw': 'raw' }, bodyPartial: true });
  t.equal(checkInputFromRequest(req).body?.toString(), '{}');
  t.match(checkInputFromRequest({ attributes: null } as unknown as CheckRequest__Output), { method: 'GET', path: '/', body: null, bodyPartial: false });
});

t.test('envoy translation: outcomes → CheckResponse', async (t) => {
  const deny = checkResponseFromOutcome({ kind: 'deny', requestId: 'r', code: 'policy_denied', httpStatus: 403, grpcStatus: 7, headers: { 'content-type': 'application/json' }, body: '{}' });
  t.match(deny, { status: { code: 7, message: 'policy_denied' }, denied_response: { status: { code: 403 }, body: '{}' } });
  t.equal(deny.denied_response?.headers?.[0]?.append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
});

t.test('envoy translation: ext_proc headers, metadata and answers', async (t) => {
  const h = headersFromMap({ headers: [{ key: 'A', value: '1', raw_value: Buffer.alloc(0) }, { key: 'a', value: '', raw_value: Buffer.from('2') }] } as never);
  t.equal(h.get('a'), '1,2', 'repeated headers joined; raw_value preferred');
  t.same(metadataFrom({ filter_metadata: { ns: toStruct({ k: 'v' }) } } as never), { ns: { k: 'v' } });
  t.match(responseFor('request_headers', { kind: 'continue', body: Buffer.from('x') }), { request_headers: { response: { status: 'CONTINUE_AND_REPLACE' } } });
  t.match(responseFor('request_body', { kind: 'continue', body: Buffer.from('x') }), { request_body: { response: { status: 'CONTINUE', body_mutation: { body: Buffer.from('x') } } } });
  t.match(responseFor('request_headers', { kind: 'continue', bufferRequestBody: true, bufferResponseBody: false }), { mode_override: { request_body_mode: 'BUFFERED', response_body_mode: 'NONE' } });
  t.match(responseFor('response_body', { kind: 'immediate', status: 413, headers: [['content-type', 'application/json']], body: '{}', details: 'body_too_large' }), { immediate_response: { status: { code: 413 }, details: 'body_too_large' } });
  t.match(responseFor('request_trailers', { kind: 'continue' }), { request_trailers: {} });
});
