import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';

/** The DNS and URI subjectAltNames of a peer certificate (pure). */
export function certificateNames(cert: PeerCertificate | undefined): string[] {
  const san = cert?.subjectaltname;
  if (!san) return [];
  const names: string[] = [];
  for (const part of san.split(', ')) {
    const m = /^(DNS|URI):(.+)$/.exec(part);
    if (m) names.push(m[2]!);
  }
  return names;
}

/** Whether a caller may call: no list → any certificate the client CA signed (pure). */
export function clientNameAllowed(names: readonly string[], allowed: readonly string[] | undefined): boolean {
  return allowed === undefined || names.some((n) => allowed.includes(n));
}

/**
 * Refuses a call whose client certificate carries none of `listen.tls.client_names`
 * (PERMISSION_DENIED, before the handler runs, so nothing is decided or answered with a key).
 * `allowed` is read per call, so a reload's list applies to the next one. Installed only when the
 * config names clients at start: no wrapper per call otherwise.
 */
export function clientNameInterceptor(allowed: () => readonly string[] | undefined, onRefused: (names: readonly string[], method: string) => void): grpc.ServerInterceptor {
  return (method, call) => {
    const list = allowed();
    const names = certificateNames(call.getAuthContext().sslPeerCertificate);
    if (clientNameAllowed(names, list)) return new grpc.ServerInterceptingCall(call);
    onRefused(names, method.path);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata() {
            call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details: 'client_certificate_not_allowed' });
          },
          onReceiveMessage() {},
          onReceiveHalfClose() {},
          onCancel() {},
        });
      },
    });
  };
}
