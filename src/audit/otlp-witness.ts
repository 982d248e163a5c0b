/**
 * The OTLP witness: every audit row and every signed head as an OTLP log record. Rows are queued as
 * they are and turned into records only when their batch is exported, off the commit path.
 */
import { createOtlpLogs, type OtlpLogsOptions } from '../telemetry/otlp-logs.js';
import type { ChainedRow } from './rows.js';
import type { WitnessHead } from './witness-check.js';
import type { WitnessSink } from './witness.js';
import { headLogRecord, rowLogRecord } from './witness-record.js';

type Item = ChainedRow | WitnessHead;

const toRecord = (item: Item) => ('table' in item ? rowLogRecord(item.table, item.row) : headLogRecord(item));

export function createOtlpWitness(options: OtlpLogsOptions): WitnessSink {
  const logs = createOtlpLogs<Item>(options, toRecord);
  return {
    row(row) {
      logs.emit(row);
    },
    head(head) {
      logs.emit(head);
    },
    dropped: () => logs.dropped(),
    close: () => logs.close(),
  };
}
