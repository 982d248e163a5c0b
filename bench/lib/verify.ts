import * as grpc from '@grpc/grpc-js';
import { envoyProtos } from '../../src/envoy/protos.js';
import type { AuthorizationClient } from '../../proto/gen/envoy/service/auth/v3/Authorization.js';
import type { CheckRequest } from '../../proto/gen/envoy/service/auth/v3/CheckRequest.js';
import type { CheckResponse__Output } from '../../proto/gen/envoy/service/auth/v3/CheckResponse.js';
import type { ExternalProcessorClient } from '../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingRequest } from '../../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse__Output } from '../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';

/**
 * h2load only sees HTTP status 200; these one-off calls over grpc-js prove that the frames the
 * load uses get the intended answer (an allow, a processed stream), not a fast refusal.
 */
export function checkOnce(address: string, request: CheckRequest): Promise<CheckResponse__Output> {
  const Ctor = envoyProtos().auth.envoy.service.auth.v3.Authorization;
  const client = new Ctor(address, grpc.credentials.createInsecure()) as AuthorizationClient;
  return new Promise<CheckResponse__Output>((resolve, reject) =>
    client.Check(request, { deadline: Date.now() + 10_000 }, (err, res) => {
      client.close();
      if (err || !res) reject(err ?? new Error('no CheckResponse'));
      else resolve(res);
    }),
  );
}

/** One client for many Checks (fetching thousands of call contexts one connection each would be the figure). */
export function checkClient(address: string): { check(request: CheckRequest): Promise<CheckResponse__Output>; close(): void } {
  const Ctor = envoyProtos().auth.envoy.service.auth.v3.Authorization;
  const client = new Ctor(address, grpc.credentials.createInsecure()) as AuthorizationClient;
  return {
    check: (request) =>
      new Promise((resolve, reject) =>
        client.Check(request, { deadline: Date.now() + 10_000 }, (err, res) => (err || !res ? reject(err ?? new Error('no CheckResponse')) : resolve(res))),
      ),
    close: () => client.close(),
  };
}

export function processOnce(address: string, messages: readonly ProcessingRequest[], deadlineMs = 10_000): Promise<ProcessingResponse__Output[]> {
  const Ctor = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;
  const client = new Ctor(address, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 16 * 1024 * 1024 }) as ExternalProcessorClient;
  return new Promise<ProcessingResponse__Output[]>((resolve, reject) => {
    const answers: ProcessingResponse__Output[] = [];
    const call = client.Process({ deadline: Date.now() + deadlineMs });
    call.on('data', (r: ProcessingResponse__Output) => answers.push(r));
    call.on('error', (e) => {
      client.close();
      reject(e);
    });
    call.on('end', () => {
      client.close();
      resolve(answers);
    });
    for (const m of messages) call.write(m);
    call.end();
  });
}
