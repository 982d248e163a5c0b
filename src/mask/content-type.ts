import type { BodyKind } from './types.js';

const TEXT_TYPES = new Set(['application/x-www-form-urlencoded', 'application/xml', 'application/yaml', 'application/x-yaml', 'application/javascript', 'application/logplex-1', 'application/graphql']);
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines']);

/** How a body of this content-type is read; undefined (no header) means "sniff". */
export function bodyKind(contentType: string | undefined): BodyKind | undefined {
  if (contentType === undefined || contentType.trim() === '') return undefined;
  // Repeated headers arrive joined by commas ("application/json,application/json"): the first counts.
  const mime = (contentType.split(/[;,]/)[0] ?? '').trim().toLowerCase();
  if (mime === 'application/json' || mime === 'text/json' || mime.endsWith('+json')) return 'json';
  if (NDJSON_TYPES.has(mime)) return 'ndjson';
  if (mime.startsWith('text/') || mime.endsWith('+xml') || TEXT_TYPES.has(mime)) return 'text';
  return 'binary';
}

/** Without a content-type: JSON when it starts like JSON (and parses), else text unless it holds NUL bytes. */
export function sniffKind(src: string): 'json' | 'text' | 'binary' {
  const first = /[^ \t\r\n]/.exec(src.slice(0, 64))?.[0];
  if (first === '{' || first === '[') return 'json';
  return src.slice(0, 4096).includes('\0') ? 'binary' : 'text';
}
