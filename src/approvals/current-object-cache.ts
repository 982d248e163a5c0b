import type { Runtime } from '../config/compile.js';
import type { CurrentObject } from './current-object.js';
import type { ApprovalRecord } from './store.js';

type Read = (a: ApprovalRecord, runtime: Runtime) => Promise<CurrentObject>;

interface Entry {
  readonly runtime: Runtime;
  readonly at: number;
  readonly value: Promise<CurrentObject>;
}

export interface CurrentObjectCacheOptions {
  /** How long a shown object is reused for the same approval (the page re-renders on every vote and retry). */
  readonly ttlMs?: number;
  /** Approvals remembered at once; the oldest goes first. */
  readonly max?: number;
  readonly now?: () => number;
}

/**
 * One GET of the current object per approval and short window, shared by concurrent opens. Keyed by
 * approval id and the runtime it was read with, so a config reload (rotated keys, another site) reads
 * again; an unavailable answer is not kept beyond the request that is waiting on it.
 */
export function cachedCurrentObject(read: Read, options: CurrentObjectCacheOptions = {}): Read {
  const ttl = options.ttlMs ?? 10_000;
  const max = options.max ?? 256;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  return (a, runtime) => {
    const hit = entries.get(a.id);
    if (hit && hit.runtime === runtime && now() - hit.at < ttl) return hit.value;
    const value = read(a, runtime);
    entries.delete(a.id);
    entries.set(a.id, { runtime, at: now(), value });
    if (entries.size > max) entries.delete(entries.keys().next().value as string);
    void value.then(
      (v) => {
        if (v.state !== 'shown' && entries.get(a.id)?.value === value) entries.delete(a.id);
      },
      () => entries.delete(a.id),
    );
    return value;
  };
}
