import * as grpc from '@grpc/grpc-js';

/**
 * What Envoy's UpstreamTlsContext on the keyward_authz / keyward_proc clusters holds: the CA that
 * signed keyward's server certificate, Envoy's own client certificate and key, and the name sent
 * as SNI and matched against the server certificate's subjectAltName.
 */
export interface UpstreamTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  serverName: string;
}

/** Channel credentials and options a gRPC client needs to reach keyward as Envoy does. */
export function grpcChannel(tls: UpstreamTls | undefined): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  if (!tls) return { credentials: grpc.credentials.createInsecure(), options: {} };
  return {
    credentials: grpc.credentials.createSsl(tls.ca, tls.key, tls.cert),
    options: { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName },
  };
}
