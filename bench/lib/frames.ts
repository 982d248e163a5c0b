import { envoyProtos } from '../../src/envoy/protos.js';
import type { CheckRequest } from '../../proto/gen/envoy/service/auth/v3/CheckRequest.js';
import type { ProcessingRequest } from '../../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';

export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';
export const PROCESS_PATH = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';

/** A gRPC length-prefixed message: 1 byte "not compressed", 4 bytes big-endian length, the protobuf. */
export function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** Encodes with the same protobufjs types @grpc/proto-loader loaded for the servers. */
export function encodeCheckRequest(req: CheckRequest): Buffer {
  return envoyProtos().auth.envoy.service.auth.v3.Authorization.service.Check.requestSerialize(req);
}

export function encodeProcessingRequest(req: ProcessingRequest): Buffer {
  return envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor.service.Process.requestSerialize(req);
}

/** The CheckRequest Envoy sends for an agent's `GET path` with a bearer token, as a real filter would. */
export function agentCheckRequest(token: string, method: string, path: string): CheckRequest {
  return {
    attributes: {
      source: { address: { socket_address: { address: '10.0.0.7', port_value: 51234 } } },
      destination: { address: { socket_address: { address: '10.0.0.2', port_value: 8080 } } },
      request: {
        http: {
          id: '9273405927659814342',
          method,
          path,
          host: 'keyward.internal:8080',
          scheme: 'http',
          protocol: 'HTTP/1.1',
          headers: {
            ':authority': 'keyward.internal:8080',
            ':method': method,
            ':path': path,
            ':scheme': 'http',
            accept: 'application/json',
            authorization: `Bearer ${token}`,
            'user-agent': 'datadog-api-client-typescript/1.0 (node 20)',
            'x-forwarded-proto': 'http',
            'x-request-id': '4b1b5fd0-9b3e-4a35-93c3-3bdc0ef9f1a4',
            traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          },
        },
      },
    },
  };
}
