import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  /** Values that must never appear in a log line (Datadog keys, HMAC keys): replaced before writing. */
  secrets: () => readonly string[];
  /** Where lines go; stdout by default. Tests pass a collector to grep every line. */
  destination?: NodeJS.WritableStream;
}

/**
 * pino JSON logs with two guards: known credential fields are redacted by path, and every
 * configured secret value is scrubbed from the serialised line whatever field it hid in.
 */
export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? process.stdout;
  // One search of each line for all secrets at once, rebuilt only when the list changes (a config
  // swap hands over a new array): a scan per secret per line was a measurable share of a Check.
  let compiledFor: readonly string[] | null = null;
  let pattern: RegExp | null = null;
  const patternFor = (secrets: readonly string[]): RegExp | null => {
    if (secrets !== compiledFor) {
      compiledFor = secrets;
      const literals = [...new Set(secrets.filter((s) => s.length >= 8))].sort((a, b) => b.length - a.length);
      pattern = literals.length === 0 ? null : new RegExp(literals.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    }
    return pattern;
  };
  const scrubber = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = chunk.toString('utf8');
      const re = patternFor(options.secrets());
      out.write(re ? line.replace(re, '[REDACTED:secret]') : line);
      done();
    },
  });
  return pino(
    {
      level: options.level,
      base: { service: 'keyward' },
      redact: { paths: ['authorization', 'token', '*.authorization', 'headers["dd-api-key"]', 'headers["dd-application-key"]', 'api_key', 'app_key'], censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    scrubber,
  );
}
