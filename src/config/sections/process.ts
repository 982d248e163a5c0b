import { z } from 'zod';

/**
 * `process`: settings of the keyward process itself, applied at start and on every reload.
 */
export const processSection = z
  .object({
    /**
     * How far V8 lets the heap grow past what survived its last full collection before it collects
     * again, in percent. V8's own heuristic lets a small heap grow to 4× its live size, and a gate
     * under load is mostly short-lived garbage: that is RSS held for nothing. 0 → V8's heuristic.
     */
    heap_growing_percent: z.number().int().min(0).max(300).default(100),
  })
  .strict();

export type ProcessConfig = z.output<typeof processSection>;
