import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Authorizer } from '../authz/check.js';
import type { AuthorizationHandlers } from '../../proto/gen/envoy/service/auth/v3/Authorization.js';
import { checkInputFromRequest, checkResponseFromOutcome } from './authz-translate.js';
import { encodeCheckResponse } from './check-response-wire.js';
import { AUTHZ_SERVICE_NAME } from './contract.js';
import { envoyProtos } from './protos.js';


/** The ext_authz gRPC service: translation at the edge, the decision in src/authz. */
export function authorizationService(check: Authorizer, log: Logger) {
  const handlers: AuthorizationHandlers = {
    Check(call, callback) {
      let input;
      try {
        input = checkInputFromRequest(call.request);
      } catch {
        callback({ code: 3 as grpc.status, details: 'request_invalid' });
        return;
      }
      const abort = new AbortController();
      let settled = false;
      // grpc-js also reports a stream closed after its answer as cancelled; aborting then only costs a
      // DOMException per call (3 % of a Check under load).
      call.on('cancelled', () => settled || abort.abort());
      check({ ...input, signal: abort.signal }).then(
        (outcome) => {
          settled = true;
          // A cancelled call (Envoy timed out) gets no answer: Envoy already failed closed.
          if (call.cancelled) return;
          callback(null, checkResponseFromOutcome(outcome));
        },
        (err: unknown) => {
          settled = true;
          log.error({ err_name: err instanceof Error ? err.name : typeof err }, 'check crashed');
          callback({ code: 13 as grpc.status, details: 'internal_error' });
        },
      );
    },
  };
  const definition = envoyProtos().auth.envoy.service.auth.v3.Authorization.service;
  return {
    name: AUTHZ_SERVICE_NAME,
    // The answer is written by keyward's own encoder (check-response-wire.ts); the request is still read by protobufjs.
    definition: { ...definition, Check: { ...definition.Check, responseSerialize: encodeCheckResponse } },
    implementation: handlers as unknown as grpc.UntypedServiceImplementation,
  };
}
