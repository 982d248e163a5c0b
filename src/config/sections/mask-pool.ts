import { z } from 'zod';

/**
 * `mask_pool`: body masking runs on worker threads so a large body never stalls the Check path on
 * the main event loop. Past its limits a body is refused 503 `masking_busy` instead of queueing.
 */
export const maskPoolSection = z
  .object({
    /** Worker threads; 0 → masking stays on the main thread (no pool). */
    threads: z.number().int().min(0).max(64).default(2),
    /** Bodies smaller than this (bytes, as received) are masked inline: a thread hop costs more than they do. */
    inline_below: z.number().int().min(0).default(16 * 1024),
    /** Bodies being masked (or waiting for a thread) at once, all identities together. */
    max_in_flight: z.number().int().positive().default(16),
    /** Bodies being masked at once for one identity (issuer + subject). */
    max_per_identity: z.number().int().positive().default(4),
  })
  .strict();

export type MaskPoolConfig = z.output<typeof maskPoolSection>;
