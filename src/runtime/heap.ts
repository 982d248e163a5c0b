import { setFlagsFromString } from 'node:v8';
import type { ProcessConfig } from '../config/sections/process.js';

/** The V8 flag for `process.heap_growing_percent`; 0 is V8's own "use the heuristic". */
export function heapGrowingFlag(cfg: ProcessConfig): string {
  return `--heap-growing-percent=${cfg.heap_growing_percent}`;
}

/**
 * Applies `process` to this isolate and to worker threads started later (V8 flags are per process).
 * The growing factor is read at every full collection, so a reload takes effect at the next one.
 */
export function applyProcessSettings(cfg: ProcessConfig, setFlags: (flags: string) => void = setFlagsFromString): void {
  setFlags(heapGrowingFlag(cfg));
}
