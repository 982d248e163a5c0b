import type * as grpc from '@grpc/grpc-js';
import { startGrpcServer, type GrpcEndpoint } from '../../src/envoy/grpc-server.js';
import { envoyProtos } from '../../src/envoy/protos.js';
import type { AuthorizationHandlers } from '../../proto/gen/envoy/service/auth/v3/Authorization.js';
import type { ExternalProcessorHandlers } from '../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingRequest__Output } from '../../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';

/**
 * The floors: an ext_authz that allows everything and an ext_proc that answers every message with an
 * empty response of the matching kind. Same grpc-js server setup as keyward (src/envoy/grpc-server.ts),
 * so a ratio against them measures keyward's own work, not the transport.
 */
export async function startFloor(): Promise<{ authz: GrpcEndpoint; proc: GrpcEndpoint }> {
  const { auth, extProc } = envoyProtos();
  const check: AuthorizationHandlers = {
    Check(_call, callback) {
      callback(null, { status: { code: 0, message: '' } });
    },
  };
  const process: ExternalProcessorHandlers = {
    Process(call) {
      call.on('data', (req: ProcessingRequest__Output) => {
        const phase = req.request;
        if (phase) call.write({ [phase]: {} } as ProcessingResponse);
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  };
  const authz = await startGrpcServer('127.0.0.1:0', [
    { name: 'envoy.service.auth.v3.Authorization', definition: auth.envoy.service.auth.v3.Authorization.service, implementation: check as unknown as grpc.UntypedServiceImplementation },
  ]);
  const proc = await startGrpcServer('127.0.0.1:0', [
    { name: 'envoy.service.ext_proc.v3.ExternalProcessor', definition: extProc.envoy.service.ext_proc.v3.ExternalProcessor.service, implementation: process as unknown as grpc.UntypedServiceImplementation },
  ]);
  return { authz, proc };
}
