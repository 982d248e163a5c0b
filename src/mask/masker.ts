import type { FunctionalFieldsConfig } from '../config/sections/functional-fields.js';
import type { MaskingConfig } from '../config/sections/masking.js';
import { createFunctionalCatalogue, isFunctionalHandle, type FunctionalScope } from './functional-fields.js';
import { bodyKind, sniffKind } from './content-type.js';
import { builtinDetectors, customDetector } from './detectors/index.js';
import { parseAllowPath } from './paths.js';
import { ColumnArena, type JsonStrings } from './json-walker.js';
import { createPrefilter } from './prefilter.js';
import { applySpans, createReplacer, mergeSpans, summarize, toRedactions, toSpans } from './redact.js';
import { scanSegments } from './scan.js';
import { scannedJson, scannedText, type AllowPaths, type ScannedBody } from './segments.js';
import type { Candidate } from './scan.js';
import type { BodyKind, Detector, Masker, MaskResult, Span, TextMaskResult } from './types.js';

/** How deep documents nested in strings are followed (JSON in a string in a string…). */
const MAX_NESTING = 3;

/** The subset of the `masking` config section the engine reads (the rest is for the ext_proc service). */
export type MaskerOptions = Pick<MaskingConfig, 'style' | 'max_depth' | 'custom_patterns' | 'allow_paths'> & { readonly hmac_key?: string | undefined; readonly functional_fields?: FunctionalFieldsConfig };

const NO_FUNCTIONAL_FIELDS: FunctionalFieldsConfig = { builtin: false, disable: [], fields: [], audit: 'keep' };

/** Detections that are notification handles in the scope's functional fields: kept on purpose. */
function withoutHandles(doc: ScannedBody, candidates: Candidate[], scope: FunctionalScope): Candidate[] {
  return candidates.filter((c) => {
    const path = doc.pathOf(c.seg);
    return path === undefined || doc.isKey(c.seg) || !isFunctionalHandle(scope, path, doc.segText(c.seg), c.from, c.to, c.type);
  });
}

/**
 * A pure masking engine: no I/O, safe to share. Built once per config (custom patterns compiled,
 * allow paths parsed); every call is independent.
 */
export function createMasker(config: MaskerOptions): Masker {
  const detectors: readonly Detector[] = [...builtinDetectors, ...config.custom_patterns.map(customDetector)];
  const allow: AllowPaths = config.allow_paths.map(parseAllowPath);
  const replace = createReplacer(config.style, config.hmac_key);
  const maxDepth = config.max_depth;
  const functional = createFunctionalCatalogue(config.functional_fields ?? NO_FUNCTIONAL_FIELDS);

  // Every call below is synchronous and nothing it returns holds the walker's columns: each call
  // starts by handing all of them back.
  const arena = new ColumnArena();

  const keywordsIn = createPrefilter(detectors.flatMap((d) => d.keywords.map((keyword) => ({ keyword, ignoreCase: d.keywordsIgnoreCase === true }))));

  const spansOf = (doc: ScannedBody, nesting = 0, scope?: FunctionalScope): Span[] => {
    let candidates = scanSegments(doc, detectors, keywordsIn);
    candidates.push(...doc.fieldHits());
    if (scope !== undefined) candidates = withoutHandles(doc, candidates, scope);
    let spans = toSpans(doc, candidates);
    // Numbers only at the top level: a quoted redaction inside a string-held document would need escaping.
    if (nesting === 0) {
      const numbers = doc.numberSpans();
      if (numbers.length > 0) spans = mergeSpans([...spans, ...numbers]);
    }
    const nested = nesting < MAX_NESTING ? doc.nestedDocuments() : [];
    if (nested.length === 0) return spans;
    // A string holding a JSON document with escapes of its own: mask that document too, and map its
    // spans back through this string's escapes to raw offsets (no re-encoding: `[REDACTED:…]` is
    // plain ASCII, valid inside any JSON string).
    for (const seg of nested) {
      if (doc.allowed(seg)) continue;
      let inner: ScannedBody;
      try {
        inner = documentFor(doc.segText(seg), 'json');
      } catch {
        continue; // looked like JSON, is not: its text was scanned as a string already
      }
      const where = doc.location(seg, doc.rawRange(seg, 0, 0)[0], new Set());
      for (const s of spansOf(inner, nesting + 1)) {
        const [start, end] = doc.rawRange(seg, s.start, s.end);
        spans.push({ ...s, start, end, location: `${where}${s.location.slice(1)}` });
      }
    }
    return mergeSpans(spans);
  };

  const documentFor = (src: string, kind: 'json' | 'ndjson' | 'text'): ScannedBody =>
    kind === 'text' ? scannedText(src) : scannedJson(src, maxDepth, kind === 'ndjson', allow, arena);

  const maskString = (src: string, kind: 'json' | 'ndjson' | 'text', scope?: FunctionalScope, read?: (walk: JsonStrings) => void): TextMaskResult => {
    const doc = documentFor(src, kind);
    if (read !== undefined && kind === 'json' && doc.walk !== undefined) read(doc.walk);
    const spans = spansOf(doc, 0, kind === 'json' ? scope : undefined);
    return { text: applySpans(src, spans, replace), findings: summarize(spans), changed: spans.length > 0 };
  };

  /**
   * Sniffed bodies fall back to text when they only looked like JSON. A body declared as text or
   * binary that is in fact JSON (or NDJSON: several documents, one per line) is read as such: its
   * escaped strings (\u0030…) must be decoded before scanning, whatever the sender claimed, since the
   * receiver may parse it anyway.
   */
  const readKind = (src: string, declared: BodyKind | undefined): BodyKind => {
    if (declared === 'json' || declared === 'ndjson') return declared;
    const sniffed = sniffKind(src);
    if (declared !== undefined && sniffed !== 'json') return declared;
    if (sniffed !== 'json') return sniffed;
    for (const kind of ['json', 'ndjson'] as const) {
      try {
        documentFor(src, kind);
        return kind;
      } catch {
        // not this kind
      }
    }
    return declared ?? 'text';
  };

  return {
    maskBody(body: Buffer, contentType: string | undefined, route, reader): MaskResult {
      arena.reset();
      const src = body.toString('latin1');
      const kind = readKind(src, bodyKind(contentType));
      if (src.trim().length === 0) return { body, findings: [], changed: false, kind };
      if (kind === 'binary') {
        // Bytes inside a binary format cannot be replaced in place; report what is there.
        const spans = spansOf(scannedText(src));
        return { body, findings: summarize(spans), changed: false, kind };
      }
      const r = maskString(src, kind, route ? functional(route.method, route.path) : undefined, reader && ((walk) => reader(walk, body)));
      return { body: r.changed ? Buffer.from(r.text, 'latin1') : body, findings: r.findings, changed: r.changed, kind };
    },
    maskText: (text) => (arena.reset(), maskString(text, 'text')),
    maskJson: (text) => (arena.reset(), maskString(text, 'json')),
    detect: (text, kind) => (arena.reset(), toRedactions(spansOf(documentFor(text, kind)))),
  };
}

