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
  const scrubber = new Writable({
    write(chunk: Buffer, _enc, done) {
      let line = chunk.toString('utf8');
      for (const secret of options.secrets()) {
        if (secret.length >= 8 && line.includes(secret)) line = line.split(secret).join('[REDACTED:secret]');
      }
      out.write(line);
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
