import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

export interface GrpcEndpoint {
  readonly server: grpc.Server;
  readonly health: HealthImplementation;
  /** host:port actually bound (port 0 in the config picks a free one). */
  readonly address: string;
  /** Marks the services NOT_SERVING, stops accepting, waits for in-flight calls (forces after graceMs). */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * A gRPC server with the standard grpc.health.v1 service (Envoy health-checks keyward clusters
 * with it). Keepalive settings accept Envoy's pings on long-lived HTTP/2 connections.
 */
export async function startGrpcServer(address: string, services: readonly { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation; name: string }[]): Promise<GrpcEndpoint> {
  const server = new grpc.Server({
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(services.map((s) => [s.name, 'SERVING' as const])) });
  health.addToServer(server);
  for (const s of services) server.addService(s.definition, s.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    server,
    health,
    address: `${host}:${port}`,
    shutdown: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        for (const s of services) health.setStatus(s.name, 'NOT_SERVING');
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
