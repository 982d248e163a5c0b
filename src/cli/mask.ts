import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { maskingSection } from '../config/sections/masking.js';
import { isKeywardError } from '../errors.js';
import { createBodyCodec, createMasker } from '../mask/index.js';

interface MaskFlags {
  contentType?: string;
  contentEncoding?: string;
  style: 'redact' | 'hmac';
  hmacKeyEnv: string;
  findings?: boolean;
}

const EXAMPLES = `
Examples:
  $ keyward mask payload.json                          mask a JSON file, print it to stdout
  $ keyward mask --findings logs.json.gz > masked.gz   gzip in, gzip out; findings on stderr
  $ curl -s … | keyward mask - --content-type text/plain
  $ KEYWARD_MASK_HMAC_KEY=$(openssl rand -hex 32) keyward mask --style hmac series.json
      equal secrets get equal [REDACTED:<type>:<8 hex>] tokens

The content-type and content-encoding default to what the file name says (.json, .ndjson, .gz,
.zst, .br, .deflate), then to the first bytes (gzip and zstd magic, JSON-looking text).
Exit status: 0 when masking succeeded (with or without findings), 2 on bad input, 1 otherwise.
Errors print one line: "error <code>: <message>".`;

class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exit = 2,
  ) {
    super(message);
  }
}

function typeFromName(file: string | undefined): string | undefined {
  const name = (file ?? '').toLowerCase().replace(/\.(gz|zst|zstd|br|deflate|zz)$/, '');
  if (name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'application/x-ndjson';
  if (name.endsWith('.txt') || name.endsWith('.log')) return 'text/plain';
  return undefined;
}

function encodingFromInput(file: string | undefined, raw: Buffer): string | undefined {
  const ext = /\.(gz|zst|zstd|br|deflate|zz)$/.exec((file ?? '').toLowerCase())?.[1];
  if (ext === 'gz') return 'gzip';
  if (ext === 'zst' || ext === 'zstd') return 'zstd';
  if (ext === 'br') return 'br';
  if (ext === 'deflate' || ext === 'zz') return 'deflate';
  if (raw[0] === 0x1f && raw[1] === 0x8b) return 'gzip';
  if (raw.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return undefined;
}

async function readInput(file: string | undefined): Promise<Buffer> {
  if (file === undefined || file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(file);
  } catch {
    throw new CliError('input_unreadable', `cannot read ${file}`);
  }
}

async function runMask(file: string | undefined, flags: MaskFlags): Promise<void> {
  let hmacKey: string | undefined;
  if (flags.style === 'hmac') {
    hmacKey = process.env[flags.hmacKeyEnv];
    if (!hmacKey || hmacKey.length < 16) throw new CliError('hmac_key_missing', `--style hmac needs a key of at least 16 characters in $${flags.hmacKeyEnv}`);
  }
  const config = maskingSection.parse({ style: flags.style, hmac_key: hmacKey });
  const raw = await readInput(file);
  const contentEncoding = flags.contentEncoding ?? (raw.length >= 4 ? encodingFromInput(file, raw) : undefined);
  const contentType = flags.contentType ?? typeFromName(file);
  const codec = createBodyCodec({ maxBodyBytes: config.max_body_bytes, maxRatio: config.max_ratio });
  const decoded = await codec.decode(raw, contentEncoding);
  const result = createMasker(config).maskBody(decoded.body, contentType);
  const out = result.changed ? await codec.encode(result.body, decoded.codings) : raw;
  process.stdout.write(out);
  if (flags.findings) {
    const doc = { kind: result.kind, content_encoding: decoded.codings.join(', ') || 'identity', changed: result.changed, findings: result.findings };
    process.stderr.write(JSON.stringify(doc) + '\n');
  }
}

function parseStyle(value: string): 'redact' | 'hmac' {
  if (value !== 'redact' && value !== 'hmac') throw new InvalidArgumentError('expected redact or hmac');
  return value;
}

export function maskCommand(): Command {
  return new Command('mask')
    .description('mask secrets and PII in a request or response body, exactly as the gate does, and print the result')
    .argument('[file]', 'body to mask; "-" or nothing reads stdin')
    .option('--content-type <type>', 'how to read the body: application/json, application/x-ndjson, text/plain, … (default: from the file name, else sniffed)')
    .option('--content-encoding <enc>', 'gzip, deflate, br, zstd or identity; the output uses the same (default: from the file name or magic bytes)')
    .addOption(new Option('--style <style>', 'redact → [REDACTED:<type>]; hmac → [REDACTED:<type>:<8 hex>] keyed by --hmac-key-env').default('redact').argParser(parseStyle))
    .option('--hmac-key-env <name>', 'environment variable holding the hmac key', 'KEYWARD_MASK_HMAC_KEY')
    .option('--findings', 'also print one JSON findings document (type, count, locations; never values) to stderr')
    .addHelpText('after', EXAMPLES)
    .action(async (file: string | undefined, flags: MaskFlags) => {
      try {
        await runMask(file, flags);
      } catch (e) {
        const [code, message, exit] = isKeywardError(e)
          ? [e.code, e.message, 2]
          : e instanceof CliError
            ? [e.code, e.message, e.exit]
            : ['internal_error', 'masking failed unexpectedly', 1];
        process.stderr.write(`error ${code}: ${message}\n`);
        process.exitCode = exit;
      }
    });
}
