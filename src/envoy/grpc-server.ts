import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { prepareUnixSocket, restrictUnixSocket } from '../transport/unix-socket.js';
import { unixSocketPath } from '../config/sections/listen.js';
import type { GrpcListenOptions } from '../transport/listen-options.js';

/**
 * grpc-js writes its own diagnostics to stderr ("No address added…" before keyward's one-line start
 * failure): send them to keyward's log at debug level instead, where JSON lines belong.
 */
export function routeGrpcLogs(debug: (line: string) => void): void {
  const write = (...args: unknown[]) => debug(args.map(String).join(' '));
  grpc.setLogger({ error: write, info: write, debug: write } as unknown as Console);
}

export type { GrpcListenOptions } from '../transport/listen-options.js';

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
export async function startGrpcServer(address: string, services: readonly { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation; name: string }[], listen: GrpcListenOptions = {}): Promise<GrpcEndpoint> {
  const server = new grpc.Server({
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    ...(listen.interceptors ? { interceptors: listen.interceptors } : {}),
  });
  const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(services.map((s) => [s.name, 'SERVING' as const])) });
  health.addToServer(server);
  for (const s of services) server.addService(s.definition, s.implementation);
  const socket = unixSocketPath(address);
  if (socket) prepareUnixSocket(socket);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, listen.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  if (socket) restrictUnixSocket(socket, listen.socketMode ?? 0o600);
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    server,
    health,
    address: socket ? address : `${host}:${port}`,
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
