/**
 * A bench server in its own process, so the runner, h2load and the server under test never share an
 * event loop. Usage (by bench/lib/child.ts): entry.ts floor | entry.ts keyward postgres|memory.
 * Reports `ready` with the time since process start, then answers `stats` and `stop`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { startFloor } from './floor.js';
import { startBenchGate, type AuditMode } from './keyward.js';
import type { ChildMessage, ParentMessage } from './messages.js';

const send = (m: ChildMessage) => process.send?.(m);
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function main(): Promise<void> {
  const kind = process.argv[2];
  let stop: () => Promise<void>;
  let audited: () => Promise<number> = async () => 0;
  if (kind === 'floor') {
    const floor = await startFloor();
    stop = async () => {
      await Promise.all([floor.authz.shutdown(1000), floor.proc.shutdown(1000)]);
    };
    send({ type: 'ready', authz: floor.authz.address, proc: floor.proc.address, token: 'none', agentTokens: [], audit: 'none', readyMs: performance.now(), prepMs: 0 });
  } else if (kind === 'keyward') {
    const gate = await startBenchGate((process.argv[3] ?? 'postgres') as AuditMode);
    stop = gate.stop;
    audited = gate.auditedCalls;
    send({ type: 'ready', authz: gate.authz, proc: gate.proc, token: gate.agentTokens[0]!, agentTokens: gate.agentTokens, audit: gate.audit, readyMs: performance.now(), prepMs: gate.prepMs });
  } else {
    throw new Error(`unknown server kind ${String(kind)}`);
  }
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stats') {
      audited().then(
        (auditedCalls) => send({ type: 'stats', rssBytes: process.memoryUsage.rss(), auditedCalls, cpuMicros: cpuMicros(), sysMicros: process.cpuUsage().system }),
        () => send({ type: 'stats', rssBytes: process.memoryUsage.rss(), auditedCalls: -1, cpuMicros: cpuMicros(), sysMicros: process.cpuUsage().system }),
      );
    } else if (m.type === 'profile') {
      profile(m).catch((e: unknown) => send({ type: 'failed', message: `profiler: ${String(e)}` }));
    } else if (m.type === 'stop') {
      // A normal exit, so --cpu-prof writes its profile.
      stop().finally(() => process.exit(0));
    }
  });
}

/** CPU profile of the load windows only (the runner starts it when h2load starts on this server). */
let session: Session | null = null;
async function profile(m: Extract<ParentMessage, { type: 'profile' }>): Promise<void> {
  if (m.action === 'start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    return;
  }
  if (!session) return;
  const { profile: result } = await session.post('Profiler.stop');
  session.disconnect();
  session = null;
  writeFileSync(m.file, JSON.stringify(result));
  send({ type: 'profiled', file: m.file });
}

main().catch((e: unknown) => {
  send({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
