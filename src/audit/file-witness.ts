/**
 * The file witness: signed heads appended as JSON lines (opened with O_APPEND; never rewritten). Once
 * the file reaches `maxBytes` or `maxAgeMs` it is renamed `FILE.<UTC time>` and a new FILE begins;
 * rotated files are never deleted here, and `readWitnessFiles` reads FILE and all of them.
 */
import { createWriteStream, existsSync, openSync, readdirSync, readFileSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { WitnessSink } from './witness.js';

export interface FileWitnessRotation {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  /** Clock seam (rotation age and rotated names). */
  readonly now?: () => Date;
}

const NO_ROTATION: FileWitnessRotation = { maxBytes: Number.POSITIVE_INFINITY, maxAgeMs: Number.POSITIVE_INFINITY };

/** `FILE.20261207T002800.123Z` (and `-2`, `-3`… if that name is taken): sorts in time order. */
const ROTATED_SUFFIX = /^\d{8}T\d{6}\.\d{3}Z(-\d+)?$/;
const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '');

function rotatedName(path: string, at: Date): string {
  const base = `${path}.${stamp(at)}`;
  let name = base;
  for (let n = 2; existsSync(name); n++) name = `${base}-${n}`;
  return name;
}

export function createFileWitness(path: string, rotation: FileWitnessRotation = NO_ROTATION): WitnessSink {
  const now = rotation.now ?? (() => new Date());
  let dropped = 0;
  let out!: WriteStream;
  let failed = false;
  let bytes = 0;
  let startedAt = 0;
  const closing: Promise<void>[] = [];

  function open(): void {
    // An existing file is continued: its size counts, and its age runs from its creation (birth time
    // where the file system records one, else from now).
    const st = existsSync(path) ? statSync(path) : null;
    bytes = st?.size ?? 0;
    startedAt = st && st.size > 0 && st.birthtimeMs > 0 ? Math.min(st.birthtimeMs, now().getTime()) : now().getTime();
    failed = false;
    // Opened synchronously, so the file exists (and can be rotated) before the first write lands.
    out = createWriteStream(path, { fd: openSync(path, 'a', 0o640) });
    out.on('error', () => {
      failed = true;
    });
  }

  function rotate(): void {
    const old = out;
    // The open descriptor follows the rename: writes still buffered land in the rotated file.
    renameSync(path, rotatedName(path, now()));
    closing.push(new Promise<void>((resolve) => old.end(() => resolve())));
    open();
  }

  open();
  return {
    head(h) {
      const line = `${JSON.stringify({ type: 'head', ...h })}\n`;
      try {
        if (bytes > 0 && (bytes + Buffer.byteLength(line) > rotation.maxBytes || now().getTime() - startedAt >= rotation.maxAgeMs)) rotate();
      } catch {
        failed = true; // could not rename or reopen: count drops rather than throw into the commit path
      }
      if (failed) {
        dropped += 1;
        return;
      }
      out.write(line);
      bytes += Buffer.byteLength(line);
    },
    dropped: () => dropped,
    close: async () => {
      await Promise.all(closing);
      await new Promise<void>((resolve) => (failed ? resolve() : out.end(() => resolve())));
    },
  };
}

/** The witness file and every file rotated from it, oldest first: what `audit verify --witness FILE` reads. */
export function witnessFiles(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  const rotated = readdirSync(dir)
    .filter((name) => name.startsWith(`${base}.`) && ROTATED_SUFFIX.test(name.slice(base.length + 1)))
    .sort()
    .map((name) => join(dir, name));
  const current = existsSync(path) ? [path] : [];
  if (rotated.length === 0 && current.length === 0) readFileSync(path); // the same ENOENT as before rotation existed
  return [...rotated, ...current];
}

/** Lines of the witness file and its rotated files. */
export function readWitnessFiles(path: string): string[] {
  return witnessFiles(path).flatMap((f) => readFileSync(f, 'utf8').split('\n'));
}
