import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { MaskPoolConfig } from '../config/sections/mask-pool.js';
import { KeywardError } from '../errors.js';
import type { BodyCodec, CodecLimits } from '../mask/codecs.js';
import type { MaskerOptions } from '../mask/masker.js';
import type { Masker } from '../mask/types.js';
import { maskBody, type MaskBodyDeps, type MaskedBody } from '../mask/body.js';
import { createSeriesReader, type WalkedSubmission } from '../budgets/series-walk.js';
import { createAdmission } from './admission.js';
import type { MaskTask, MaskTaskResult } from './task.js';

/** One body to mask, with both ways of masking it: the compiled engine (inline) and its recipe (worker). */
export interface MaskJob {
  readonly raw: Buffer;
  readonly contentType: string | undefined;
  readonly encoding: string | undefined;
  readonly literals: readonly string[];
  /** Who sent it (issuer + subject): the unit of the per-identity bound. */
  readonly identity: string;
  readonly masker: Masker;
  readonly codec: BodyCodec;
  readonly options: MaskerOptions;
  readonly limits: CodecLimits;
  readonly route?: { readonly method: string; readonly path: string } | undefined;
  readonly auditHandles?: 'keep' | 'mask' | undefined;
  /** Also read the series of a metric submission from the masking pass (`series` of the answer). */
  readonly readSeries?: boolean | undefined;
}

/**
 * A masked body; from a worker, with the audit row's encoding of its text already made there.
 * `series`: what the masking pass read (readSeries), undefined when it did not walk the body as one
 * JSON document, null when only the budget guard's own reading can say.
 */
export type PooledMaskedBody = MaskedBody & { readonly maskedJson?: Uint8Array; readonly series?: WalkedSubmission | null | undefined };

export interface MaskPool {
  /** Masks a body inline or on a worker; refuses `masking_busy` past the limits, never queues beyond them. */
  mask(job: MaskJob): Promise<PooledMaskedBody>;
  /** Bodies admitted and not yet answered (tests and metrics). */
  inFlight(): number;
  /** Bodies masked so far, by where: evidence for tests and the bench that the pool is used. */
  counts(): { readonly inline: number; readonly worker: number };
  /** Resolves once every thread has loaded the masking code (the first body would pay for it otherwise). */
  warm(): Promise<void>;
  close(): Promise<void>;
}

export interface MaskPoolOptions extends MaskPoolConfig {
  /** The worker module (tests substitute one); default: this folder's worker, .ts or .js like this file. */
  readonly workerUrl?: URL;
}

/** maskBody on this thread, with the series read from its pass when asked (as a worker does). */
export async function maskInline(raw: Buffer, contentType: string | undefined, encoding: string | undefined, deps: MaskBodyDeps, readSeries: boolean): Promise<PooledMaskedBody> {
  if (!readSeries) return maskBody(raw, contentType, encoding, deps);
  const series = createSeriesReader();
  const masked = await maskBody(raw, contentType, encoding, { ...deps, reader: series.read });
  return { ...masked, series: series.result() };
}

/** A loader flag already present (tap's, tsx's) means workers inherit a TypeScript loader with execArgv. */
const hasTsLoader = (argv: readonly string[]) => argv.some((a) => /tsx|typescript/.test(a));

/**
 * The masking pool: piscina worker threads behind a synchronous admission check. piscina rather
 * than bare worker_threads because it already does what a pool must get right: a worker that dies
 * is replaced and its task rejected (so the body fails closed), tasks are spread over idle threads,
 * and structured-clone transfer of the body is one option. Its own queue stays bounded by ours.
 */
export function createMaskPool(options: MaskPoolOptions): MaskPool {
  const admission = createAdmission({ maxInFlight: options.max_in_flight, maxPerIdentity: options.max_per_identity });
  const workerUrl = options.workerUrl ?? new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const filename = fileURLToPath(workerUrl);
  const execArgv = filename.endsWith('.ts') && !hasTsLoader(process.execArgv) ? [...process.execArgv, '--import=tsx/esm'] : process.execArgv;
  // atomics 'disabled': with piscina's default a worker may block its event loop in Atomics.wait while
  // a task still awaits async work (zlib), so the task would never finish.
  const piscina =
    options.threads > 0
      ? new Piscina<MaskTask, MaskTaskResult>({ filename, minThreads: options.threads, maxThreads: options.threads, maxQueue: options.max_in_flight, idleTimeout: 60_000, execArgv, atomics: 'disabled' })
      : null;

  const counts = { inline: 0, worker: 0 };
  const inline = (job: MaskJob) => maskInline(job.raw, job.contentType, job.encoding, { masker: job.masker, codec: job.codec, literals: job.literals, route: job.route, auditHandles: job.auditHandles }, job.readSeries === true);

  const onWorker = async (p: Piscina<MaskTask, MaskTaskResult>, job: MaskJob): Promise<PooledMaskedBody> => {
    // A copy the worker owns outright: the received buffer may share memory with other messages.
    const raw = new Uint8Array(job.raw);
    const task: MaskTask = { options: job.options, limits: job.limits, raw, contentType: job.contentType, encoding: job.encoding, literals: job.literals, route: job.route, auditHandles: job.auditHandles, readSeries: job.readSeries };
    const r = await p.run(task, { transferList: [raw.buffer] });
    if (!r.ok) throw new KeywardError(r.code, 'refused by the masking worker');
    const wire = r.changed ? Buffer.from(r.wire.buffer, r.wire.byteOffset, r.wire.byteLength) : job.raw;
    return { wire, maskedText: r.maskedText, maskedJson: r.maskedJson, findings: r.findings, changed: r.changed, rawSha256: r.rawSha256, kind: r.kind, codings: r.codings, decodedBytes: r.decodedBytes, series: r.series };
  };

  return {
    async mask(job) {
      const release = admission.tryAcquire(job.identity);
      if (!release) throw new KeywardError('masking_busy', `in flight ${admission.inFlight()}`);
      try {
        if (piscina && job.raw.length >= options.inline_below) {
          counts.worker++;
          return await onWorker(piscina, job);
        }
        counts.inline++;
        return await inline(job);
      } finally {
        release();
      }
    },
    inFlight: () => admission.inFlight(),
    counts: () => ({ ...counts }),
    async warm() {
      if (!piscina) return;
      const task: MaskTask = { options: { style: 'redact', max_depth: 8, custom_patterns: [], allow_paths: [] }, limits: { maxBodyBytes: 1024, maxRatio: 10 }, raw: new Uint8Array(0), contentType: undefined, encoding: undefined, literals: [] };
      await Promise.all(Array.from({ length: options.threads }, () => piscina.run(task)));
    },
    async close() {
      await piscina?.destroy();
    },
  };
}
