import { KeywardError } from '../../src/errors.js';
import type { AuditEvent, AuditSink } from '../../src/audit/events.js';

/** An audit sink that keeps events in memory; `failing = true` makes it behave like a dead database. */
export function createMemoryAudit() {
  const events: AuditEvent[] = [];
  const sink = {
    events,
    failing: false,
    async record(event: AuditEvent) {
      if (sink.failing) throw new KeywardError('audit_unavailable');
      events.push(event);
    },
    async close() {},
  };
  return sink satisfies AuditSink & { events: AuditEvent[]; failing: boolean };
}
