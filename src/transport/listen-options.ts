import type * as grpc from '@grpc/grpc-js';

/** How a gRPC listener is secured: what src/transport decides and the gRPC edge applies. */
export interface GrpcListenOptions {
  /** Server credentials (mTLS); absent → plaintext (loopback, Unix socket, or the warned opt-out). */
  credentials?: grpc.ServerCredentials;
  /** File mode of a unix:// socket (e.g. 0o600). */
  socketMode?: number;
  /** Run before every call's handler (the client certificate's names, under mTLS). */
  interceptors?: grpc.ServerInterceptor[];
}
