/**
 * Caps on concurrent ext_proc streams, per HTTP/2 connection (grpc-js names a connection by its
 * peer address) and in total. Envoy multiplexes requests on a few connections; a caller that opens
 * thousands of streams and never finishes them is refused instead of holding the replica's memory.
 */
export interface StreamLimits {
  /** Takes a slot for a new stream, or says which cap refused it. */
  acquire(peer: string): 'ok' | 'connection' | 'total';
  release(peer: string): void;
  readonly total: number;
}

export function createStreamLimits(caps: () => { readonly max_per_connection: number; readonly max_total: number }): StreamLimits {
  const perPeer = new Map<string, number>();
  let total = 0;
  return {
    acquire(peer) {
      const { max_per_connection, max_total } = caps();
      if (total >= max_total) return 'total';
      const n = perPeer.get(peer) ?? 0;
      if (n >= max_per_connection) return 'connection';
      perPeer.set(peer, n + 1);
      total++;
      return 'ok';
    },
    release(peer) {
      const n = perPeer.get(peer) ?? 0;
      if (n <= 1) perPeer.delete(peer);
      else perPeer.set(peer, n - 1);
      total = Math.max(0, total - 1);
    },
    get total() {
      return total;
    },
  };
}
