import type * as grpc from '@grpc/grpc-js';

/** How a gRPC listener is secured: what src/transport decides and the gRPC edge applies. */
export interface GrpcListenOptions {
  /** Server credentials (mTLS); absent → plaintext (loopback, Unix socket, or the warned opt-out). */
  credentials?: grpc.ServerCredentials;
  /** File mode of a unix:// socket (e.g. 0o600). */
  socketMode?: number;
}
