import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, type KeywardConfig } from '../config/load.js';
import { transportOf, type ListenConfig } from '../config/sections/listen.js';
import type { GrpcListenOptions } from './listen-options.js';
import { clientNameInterceptor } from './client-names.js';
import { createReloadableCredentials, type ReloadableCredentials } from './server-credentials.js';

export interface GrpcTransport {
  /** What startGrpcServer needs for the authz and proc ports. */
  readonly listen: GrpcListenOptions;
  /** A reloaded config: its certificates apply to new connections (a change of mode needs a restart). */
  apply(config: KeywardConfig): void;
  close(): void;
}

const TLS_FILES = ['listen.tls.cert', 'listen.tls.key', 'listen.tls.client_ca'];

/**
 * The transport both gRPC ports share: mTLS credentials that follow rotation, or plaintext where
 * the config allows it. The addresses actually bound (tests override them) are checked again here,
 * so no path starts a plaintext port beyond loopback without the opt-out.
 */
export function createGrpcTransport(config: KeywardConfig, addresses: { authz: string; proc: string }, log: Logger, onCertificateChange: () => void): GrpcTransport {
  assertAuthenticatedTransport(config.listen, addresses, config.source);
  const reloadable: ReloadableCredentials | null = config.listen.tls ? createReloadableCredentials(config.listen.tls) : null;
  const watchers = reloadable ? watchFiles(TLS_FILES.map((k) => config.files[k]).filter((f): f is string => f !== undefined), onCertificateChange) : [];
  if (!config.listen.tls && config.listen.insecure_plaintext) log.warn({ code: 'config_warning', authz: addresses.authz, proc: addresses.proc }, 'gRPC ports serve plaintext (listen.insecure_plaintext): every caller that reaches them is trusted as Envoy');
  let clientNames = config.listen.tls?.client_names;
  const interceptorInstalled = clientNames !== undefined;
  const interceptor = clientNameInterceptor(
    () => clientNames,
    (names, method) => log.warn({ code: 'client_certificate_not_allowed', method, certificate_names: names }, 'a caller with a certificate from listen.tls.client_ca but none of listen.tls.client_names was refused'),
  );
  return {
    listen: { ...(reloadable ? { credentials: reloadable.credentials } : {}), ...(clientNames ? { interceptors: [interceptor] } : {}), socketMode: Number.parseInt(config.listen.unix_socket_mode, 8) },
    apply(next) {
      if (Boolean(next.listen.tls) !== Boolean(reloadable)) {
        log.warn({ code: 'config_warning' }, 'listen.tls was added or removed: the gRPC ports keep their transport until restart');
        return;
      }
      if (!reloadable || !next.listen.tls) return;
      if (next.listen.tls.client_names && !interceptorInstalled) log.warn({ code: 'config_warning' }, 'listen.tls.client_names was added: it applies after a restart (a change of the list applies now)');
      else clientNames = next.listen.tls.client_names;
      if (reloadable.update(next.listen.tls)) log.info({ config_version: next.version }, 'gRPC certificates in force for new connections');
      else log.error({ code: 'config_invalid', config_version: next.version }, 'new gRPC certificates refused (no TLS context); the previous ones stay');
    },
    close() {
      for (const w of watchers) w.close();
    },
  };
}

export function assertAuthenticatedTransport(listen: ListenConfig, addresses: { authz: string; proc: string }, source: string): void {
  if (listen.tls || listen.insecure_plaintext) return;
  const exposed = (['authz', 'proc'] as const).filter((p) => transportOf(addresses[p]) === 'exposed');
  if (exposed.length === 0) return;
  throw new ConfigError(
    source,
    exposed.map((p) => ({ path: `listen.${p}`, message: `${addresses[p]} listens beyond loopback without TLS: set listen.tls (cert, key, client_ca), use a unix:// socket, or (behind a mesh doing mTLS) listen.insecure_plaintext: true` })),
  );
}

/**
 * Certificate files change by rename (Kubernetes secrets swap a `..data` symlink, cert-manager and
 * editors write-then-rename): watch their folders and report a change of their content only.
 */
function watchFiles(files: readonly string[], onChange: () => void): FSWatcher[] {
  const hash = () => {
    const h = createHash('sha256');
    for (const f of files) {
      try {
        h.update(readFileSync(f));
      } catch {
        h.update('unreadable');
      }
      h.update('\u0000');
    }
    return h.digest('hex');
  };
  let last = hash();
  let debounce: NodeJS.Timeout | undefined;
  return [...new Set(files.map((f) => dirname(f)))].map((dir) => {
    const w = watch(dir, () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        const now = hash();
        if (now === last) return;
        last = now;
        onChange();
      }, 50);
      debounce.unref();
    });
    w.unref();
    return w;
  });
}
