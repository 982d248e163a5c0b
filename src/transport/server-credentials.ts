import { createSecureContext, type SecureContextOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { TlsConfig } from '../config/sections/listen.js';

export interface ReloadableCredentials {
  readonly credentials: grpc.ServerCredentials;
  /**
   * Installs new certificates for connections accepted from now on; connections already open (and
   * their in-flight calls) keep the context they were accepted with. Material that does not make a
   * TLS context is refused and the current one stays (returns false): a bad rotation never leaves
   * the port without a certificate.
   */
  update(tls: TlsConfig): boolean;
}

function contextOptions(tls: TlsConfig): SecureContextOptions {
  return { cert: tls.cert, key: tls.key, ca: tls.client_ca, minVersion: 'TLSv1.2' };
}

/**
 * grpc-js ServerCredentials whose secure context can be swapped. grpc-js servers subscribe to their
 * credentials and call http2's setSecureContext on each update (the same path its certificate
 * providers use); we push updates from the config store instead of polling files, so SIGHUP and
 * file changes rotate through the one reload path. requestCert + rejectUnauthorized: a caller
 * without a certificate signed by `client_ca` fails the handshake, before any gRPC frame.
 */
class SwappableServerCredentials extends grpc.ServerCredentials {
  constructor(initial: SecureContextOptions) {
    super({ requestCert: true, rejectUnauthorized: true }, initial);
  }
  swap(options: SecureContextOptions): void {
    this.updateSecureContextOptions(options);
  }
  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export function createReloadableCredentials(tls: TlsConfig): ReloadableCredentials {
  const creds = new SwappableServerCredentials(contextOptions(tls));
  let current = fingerprint(tls);
  return {
    credentials: creds,
    update(next) {
      const f = fingerprint(next);
      if (f === current) return true;
      const options = contextOptions(next);
      try {
        createSecureContext(options);
      } catch {
        return false;
      }
      creds.swap(options);
      current = f;
      return true;
    },
  };
}

function fingerprint(tls: TlsConfig): string {
  return JSON.stringify([tls.cert, tls.key, tls.client_ca]);
}
