import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage, ServerKind } from '../servers/messages.js';

const ENTRY = fileURLToPath(new URL('../servers/entry.ts', import.meta.url));

export interface ServerChild {
  readonly ready: Extract<ChildMessage, { type: 'ready' }>;
  /** Wall time from fork to ready (loading Node and every module, and the server's start), less the bench's own set-up in the child (prepMs). */
  readonly coldStartMs: number;
  stats(): Promise<Extract<ChildMessage, { type: 'stats' }>>;
  /** Samples RSS every `everyMs` until the returned function is called; that returns the peak. */
  sampleRss(everyMs: number): () => number;
  /** Starts a CPU profile when profiling is on; the returned function stops it and writes `<label>.cpuprofile`. */
  profile(label: string): () => Promise<string | null>;
  stop(): Promise<void>;
}

export interface ForkOptions {
  /** Write a V8 CPU profile of each load window on this child into this folder. */
  cpuProfDir?: string;
  /** The compiled entry (bench/lib/compile.ts) to run without tsx; default: the sources through tsx. */
  compiledEntry?: string;
}

export async function forkServer(kind: ServerKind, args: string[], options: ForkOptions = {}): Promise<ServerChild> {
  const started = performance.now();
  const execArgv = options.compiledEntry ? [] : ['--import', 'tsx'];
  const child: ChildProcess = fork(options.compiledEntry ?? ENTRY, [kind, ...args], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code}) before ready`)));
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') resolve(m);
      if (m.type === 'failed') reject(new Error(`${kind} server failed: ${m.message}`));
    });
  });
  const coldStartMs = performance.now() - started - ready.prepMs;
  child.removeAllListeners('exit');
  const ask = (m: ParentMessage) => child.send(m);

  const stats = () =>
    new Promise<Extract<ChildMessage, { type: 'stats' }>>((resolve) => {
      const on = (m: ChildMessage) => {
        if (m.type !== 'stats') return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      ask({ type: 'stats' });
    });

  return {
    ready,
    coldStartMs,
    stats,
    sampleRss(everyMs) {
      let peak = 0;
      const timer = setInterval(() => void stats().then((s) => (peak = Math.max(peak, s.rssBytes))), everyMs);
      return () => {
        clearInterval(timer);
        return peak;
      };
    },
    profile(label) {
      const dir = options.cpuProfDir;
      if (!dir) return async () => null;
      ask({ type: 'profile', action: 'start' });
      return () =>
        new Promise<string | null>((resolve) => {
          const on = (m: ChildMessage) => {
            if (m.type !== 'profiled' && m.type !== 'failed') return;
            child.off('message', on);
            if (m.type === 'failed') process.stderr.write(`${m.message}\n`);
            resolve(m.type === 'profiled' ? m.file : null);
          };
          child.on('message', on);
          ask({ type: 'profile', action: 'stop', file: join(dir, `${label}.cpuprofile`) });
        });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        ask({ type: 'stop' });
      }),
  };
}
