import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Before binding a Unix socket: its folder exists (created owner+group only), and a socket file
 * left by a replica that died is removed (bind would fail with EADDRINUSE). Anything at that path
 * that is not a socket is left alone, and the bind then fails loudly.
 */
export function prepareUnixSocket(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * The socket is the boundary in a sidecar: only its owner (and, with 0660, Envoy's group) may
 * connect. The mode is set right after bind; the folder's own mode (0750 when we create it)
 * covers the instant in between.
 */
export function restrictUnixSocket(path: string, mode: number): void {
  chmodSync(path, mode);
}
