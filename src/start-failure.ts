/**
 * Why a replica could not start, as one line an operator can act on. Built from error codes only:
 * a library's message may carry a connection string or a host's internals, never printed as is.
 */
export class StartFailure extends Error {
  readonly code = 'start_failed';
  /** What was being started, e.g. `listen.authz 127.0.0.1:9001` or `database`. */
  readonly what: string;
  constructor(what: string, cause: unknown) {
    super(`${what}: ${reasonOf(cause)}`);
    this.name = 'StartFailure';
    this.what = what;
  }
}

const SOCKET_REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use (another process listens there)',
  EADDRNOTAVAIL: 'address not available on this host',
  EACCES: 'permission denied for this address',
  ENOTFOUND: 'host name not found',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
};

/** PostgreSQL SQLSTATE classes an operator meets at start. */
const SQLSTATE_REASONS: Record<string, string> = {
  '28P01': 'password authentication failed',
  '28000': 'the role is not allowed to connect (or does not exist)',
  '3D000': 'the database does not exist',
  '42501': 'permission denied (the role cannot create the schema or tables)',
  '53300': 'too many connections',
  '57P03': 'the database is starting up or shutting down',
};

function reasonOf(cause: unknown): string {
  const code = codeOf(cause);
  if (code === undefined) return `unexpected ${cause instanceof Error ? cause.name : typeof cause}`;
  return `${SOCKET_REASONS[code] ?? SQLSTATE_REASONS[code] ?? 'failed'} (${code})`;
}

function codeOf(cause: unknown): string | undefined {
  if (cause === null || typeof cause !== 'object') return undefined;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  // grpc-js reports a failed bind only in its message ("... errors: [listen EADDRINUSE: ...]").
  const message = (cause as { message?: unknown }).message;
  const m = typeof message === 'string' ? /\b(E[A-Z]{3,})\b/.exec(message) : null;
  if (m) return m[1];
  const errors = (cause as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors.map(codeOf).find((c) => c !== undefined) : undefined;
}
