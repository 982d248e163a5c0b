import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { maskingSection, type MaskingConfig } from '../config/sections/masking.js';
import { isKeywardError } from '../errors.js';
import { connectionKeys } from '../inject/keys.js';
import { createBodyCodec, createMasker } from '../mask/index.js';
import { maskBody } from '../mask/body.js';

interface MaskFlags {
  contentType?: string;
  contentEncoding?: string;
  style: 'redact' | 'hmac';
  hmacKeyEnv: string;
  findings?: boolean;
  config?: string;
  method?: string;
  path?: string;
}

const EXAMPLES = `
Examples:
  $ keyward mask payload.json                          mask a JSON file, print it to stdout
  $ keyward mask --findings logs.json.gz > masked.gz   gzip in, gzip out; findings on stderr
  $ curl -s … | keyward mask - --content-type text/plain
  $ KEYWARD_MASK_HMAC_KEY=$(openssl rand -hex 32) keyward mask --style hmac series.json
      equal secrets get equal [REDACTED:<type>:<8 hex>] tokens

  $ keyward mask --config keyward.yaml --method POST --path /api/v1/monitor monitor.json
      that config's masking (custom patterns, allow paths, style, hmac key, functional fields), as
      ext_proc applies it to a monitor creation

The content-type defaults to what the file name says (.json, .ndjson, .txt), else the body is sniffed
as the gate sniffs a body without one. The content-encoding is what --content-encoding says, or what
the file name says (.gz, .zst, .br, .deflate), never guessed from the bytes: the gate decodes what the
content-encoding header says, and so does this command. A binary body (multipart, protobuf…) holding
a secret is refused (body_encoding_unsupported), as the gate refuses it.
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

function encodingFromName(file: string | undefined): string | undefined {
  const ext = /\.(gz|zst|zstd|br|deflate|zz)$/.exec((file ?? '').toLowerCase())?.[1];
  if (ext === 'gz') return 'gzip';
  if (ext === 'zst' || ext === 'zstd') return 'zstd';
  if (ext === 'br') return 'br';
  if (ext === 'deflate' || ext === 'zz') return 'deflate';
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

/** The masking section and the literal keys to scrub: from --config as the gate has them, else from the flags. */
function maskingFrom(flags: MaskFlags): { masking: MaskingConfig; literals: string[] } {
  if (flags.config !== undefined) {
    const config = loadConfigFile(flags.config);
    return { masking: config.masking, literals: config.connections.flatMap(connectionKeys) };
  }
  let hmacKey: string | undefined;
  if (flags.style === 'hmac') {
    hmacKey = process.env[flags.hmacKeyEnv];
    if (!hmacKey || hmacKey.length < 16) throw new CliError('hmac_key_missing', `--style hmac needs a key of at least 16 characters in $${flags.hmacKeyEnv}`);
  }
  return { masking: maskingSection.parse({ style: flags.style, hmac_key: hmacKey }), literals: [] };
}

async function runMask(file: string | undefined, flags: MaskFlags): Promise<void> {
  if ((flags.method === undefined) !== (flags.path === undefined)) throw new CliError('route_incomplete', '--method and --path go together');
  const { masking, literals } = maskingFrom(flags);
  const raw = await readInput(file);
  const contentEncoding = flags.contentEncoding ?? encodingFromName(file);
  const contentType = flags.contentType ?? typeFromName(file);
  const codec = createBodyCodec({ maxBodyBytes: masking.max_body_bytes, maxRatio: masking.max_ratio });
  const route = flags.method !== undefined && flags.path !== undefined ? { method: flags.method.toUpperCase(), path: flags.path } : undefined;
  // The same path as ext_proc: decode by content-encoding, mask, refuse a binary body with findings,
  // scrub the connections' own keys, re-encode.
  const masked = await maskBody(raw, contentType, contentEncoding, { masker: createMasker(masking), codec, literals, ...(route ? { route } : {}), auditHandles: masking.functional_fields.audit });
  process.stdout.write(masked.wire);
  if (flags.findings) {
    const doc = { kind: masked.kind, content_encoding: masked.codings.join(', ') || 'identity', changed: masked.changed, findings: masked.findings };
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
    .option('--content-encoding <enc>', 'gzip, deflate, br, zstd or identity, as the content-encoding header says; the output uses the same (default: from the file name, never from the bytes)')
    .addOption(new Option('--style <style>', 'redact → [REDACTED:<type>]; hmac → [REDACTED:<type>:<8 hex>] keyed by --hmac-key-env').default('redact').argParser(parseStyle))
    .option('--hmac-key-env <name>', 'environment variable holding the hmac key', 'KEYWARD_MASK_HMAC_KEY')
    .option('--config <file>', "use this keyward config's masking section and connections' keys (style and hmac key included)")
    .option('--method <method>', 'with --path: the call the body belongs to (selects the functional fields kept intact)')
    .option('--path <path>', 'with --method: the Datadog API path, e.g. /api/v1/monitor')
    .option('--findings', 'also print one JSON findings document (type, count, locations; never values) to stderr')
    .addHelpText('after', EXAMPLES)
    .action(async (file: string | undefined, flags: MaskFlags) => {
      try {
        await runMask(file, flags);
      } catch (e) {
        const [code, message, exit] = isKeywardError(e)
          ? [e.code, e.message, 2]
          : e instanceof ConfigError
            ? ['config_invalid', e.message.split('\n').join(' | '), 2]
          : e instanceof CliError
            ? [e.code, e.message, e.exit]
            : ['internal_error', 'masking failed unexpectedly', 1];
        process.stderr.write(`error ${code}: ${message}\n`);
        process.exitCode = exit;
      }
    });
}
