import { setPriority } from 'node:os';
import { Piscina } from 'piscina';
import { bodyJsonBytes } from '../audit/canonical.js';
import { isKeywardError } from '../errors.js';
import { createBodyCodec, type BodyCodec } from '../mask/codecs.js';
import { createMasker } from '../mask/masker.js';
import type { Masker } from '../mask/types.js';
import { maskBody } from '../mask/body.js';
import { createSeriesReader } from '../budgets/series-walk.js';
import type { MaskTask, MaskTaskResult } from './task.js';

// On Linux a priority set with pid 0 applies to the calling thread only, so this worker yields the
// CPU to the event loop that answers Checks. Elsewhere pid 0 is the whole process: left alone.
if (process.platform === 'linux') {
  try {
    setPriority(10);
  } catch {
    // Not permitted: masking runs at the process's own priority.
  }
}

/**
 * A masking worker (piscina's task function): decode → mask → re-encode, exactly what the main
 * thread does inline. A masker is compiled once per distinct options and kept: the config rarely
 * changes, and compiling custom patterns per body would cost more than masking a small one.
 */
const engines = new Map<string, { masker: Masker; codec: BodyCodec }>();
const MAX_ENGINES = 16;

function engineFor(task: MaskTask): { masker: Masker; codec: BodyCodec } {
  const key = JSON.stringify([task.options, task.limits]);
  let engine = engines.get(key);
  if (!engine) {
    if (engines.size >= MAX_ENGINES) engines.clear();
    engine = { masker: createMasker(task.options), codec: createBodyCodec(task.limits) };
    engines.set(key, engine);
  }
  return engine;
}

/** The bytes in an ArrayBuffer of their own (a copy made here, off the main thread, when they share one). */
function owned(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b : new Uint8Array(b);
}

/** The answer with its bytes moved, not cloned: a multi-MiB copy less on the main thread per body. */
function moved(result: MaskTaskResult, buffers: ArrayBuffer[]): MaskTaskResult {
  const movable = { [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: result } as unknown as Parameters<typeof Piscina.move>[0];
  return Piscina.move(movable) as unknown as MaskTaskResult;
}

export default async function maskInWorker(task: MaskTask): Promise<MaskTaskResult> {
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  try {
    const series = task.readSeries === true ? createSeriesReader() : undefined;
    const m = await maskBody(raw, task.contentType, task.encoding, { ...engineFor(task), literals: task.literals, route: task.route, auditHandles: task.auditHandles, reader: series?.read });
    // An unchanged body is not sent back: the main thread still holds it.
    const wire = m.changed ? owned(m.wire) : new Uint8Array(0);
    // The audit row's form of the masked text, encoded here rather than on the main thread.
    const maskedJson = owned(bodyJsonBytes(m.maskedText));
    // A series reading points into the decoded body: those bytes move to the main thread too, with
    // its columns (each in a buffer of its own, exactly its size).
    const read = series?.result();
    const walked = read ? { ...read, text: owned(read.text) } : read;
    const result: MaskTaskResult = { ok: true, wire, maskedText: m.maskedText, maskedJson, findings: m.findings, changed: m.changed, rawSha256: m.rawSha256, kind: m.kind, codings: m.codings, decodedBytes: m.decodedBytes, series: walked };
    const buffers = new Set([maskedJson.buffer as ArrayBuffer]);
    if (wire.byteLength > 0) buffers.add(wire.buffer as ArrayBuffer);
    if (walked) for (const column of [walked.text, walked.table, walked.tags, walked.ids]) if (column.byteLength > 0) buffers.add(column.buffer as ArrayBuffer);
    return moved(result, [...buffers]);
  } catch (e) {
    // A refusal travels as its code; anything else is re-thrown so the pool fails the body closed.
    if (isKeywardError(e)) return { ok: false, code: e.code };
    throw e;
  }
}
