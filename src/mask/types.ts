import type { JsonStrings } from './json-walker.js';

/** One finding of the masking engine: what kind, how many, where. Never the value. */
export interface FindingSummary {
  readonly type: string;
  readonly count: number;
  /** JSON paths (e.g. `$.series[0].tags[2]`) or byte offsets (`@123`) of the matches. */
  readonly locations: readonly string[];
}

/** Where a match sits, for validators that need context (key name, nearby words). */
export interface MatchContext {
  /** The whole regex match (context prefix included). */
  readonly match: string;
  /** Its capture groups (index 0 is the whole match). */
  readonly groups: readonly (string | undefined)[];
  /** The text being scanned (one segment: a decoded JSON string, or the whole text body). */
  readonly text: string;
  /** Offset of the secret in `text`. */
  readonly index: number;
  /** Normalised name of the nearest JSON member (`api_key`), when scanning a JSON string. */
  readonly key: string | undefined;
}

/**
 * One kind of secret or PII. `pattern` is global; when it has capture groups, the last one is the
 * secret and must end the match (context comes first, lookaheads may follow).
 */
export interface Detector {
  readonly type: string;
  /** Higher wins the type of a merged span when two detectors overlap. */
  readonly priority: number;
  /** Any-of prefilter: the detector runs only when one of these occurs in the text. Empty: always runs. */
  readonly keywords: readonly string[];
  /** Compare `keywords` against the lower-cased text. */
  readonly keywordsIgnoreCase?: boolean;
  readonly pattern: RegExp;
  /** The secret starts where group 1 starts (a group inside a leading lookbehind; needs the `d` flag) and ends with the match. */
  readonly leadingGroup?: true;
  /** false rejects the match; a string accepts it under that type name; `{ length }` accepts only that leading part (trailing words that were not part of it). */
  readonly validate?: (secret: string, ctx: MatchContext) => boolean | string | { readonly length: number };
  /**
   * For patterns without a keyword: a cheap pass shared by the detectors that carry the same precheck.
   * `pattern` then runs only on the segments (JSON strings, or the whole text) holding one of the
   * offsets it returns, so each of its matches must lie in such a segment.
   */
  readonly precheck?: (text: string) => PrecheckHits;
  /**
   * Which of the precheck's offsets can lead to a match of this pattern, by the fact the precheck
   * gave each one. A fact of -1 always counts; with no `precheckNeeds`, every offset counts.
   */
  readonly precheckNeeds?: (fact: number) => boolean;
}

/** A precheck's finds: offsets into the text, and for each one a fact its detectors read (-1: anything may be there). */
export interface PrecheckHits {
  readonly offsets: readonly number[];
  readonly facts: readonly number[];
}

/** A value a field rule flags, as an offset range inside the JSON string value. */
export interface FieldHit {
  readonly type: string;
  readonly from: number;
  readonly to: number;
}

/** Key-name context for JSON members: `{"api_key": "…"}` is a secret by its name. */
export type FieldRule = (value: string, ctx: { readonly key: string; readonly body: string }) => FieldHit | undefined;

/** A span to replace, in raw-text offsets, with the decoded secret for the hmac style. */
export interface Span {
  start: number;
  end: number;
  type: string;
  priority: number;
  value: string;
  location: string;
  /** The span is a JSON number, not string content: its replacement is written as a JSON string. */
  quote?: boolean;
}

export type MaskStyle = 'redact' | 'hmac';

export type BodyKind = 'json' | 'ndjson' | 'text' | 'binary';

export interface MaskResult {
  /** The masked body (the input buffer itself when nothing changed). */
  readonly body: Buffer;
  readonly findings: readonly FindingSummary[];
  readonly changed: boolean;
  /** How the body was read. `binary` bodies are scanned but never rewritten: callers decide (refuse when findings). */
  readonly kind: BodyKind;
}

export interface TextMaskResult {
  readonly text: string;
  readonly findings: readonly FindingSummary[];
  readonly changed: boolean;
}

/** A replacement as data, for tests and tools that need positions (never stored: holds no value). */
export interface Redaction {
  readonly start: number;
  readonly end: number;
  readonly type: string;
  readonly location: string;
}

/** The call a body belongs to: it selects the functional fields (src/mask/functional-fields.ts) kept intact. */
export interface MaskRoute {
  readonly method: string;
  readonly path: string;
}

/**
 * Reads a body masked as one JSON document from the masking pass's own walk of it (the walk's
 * offsets are offsets into `body`): another capability's reading without a second pass. Called
 * once, before any replacement; it must not keep `walk` (its columns are reused by the next call).
 */
export type JsonDocumentReader = (walk: JsonStrings, body: Buffer) => void;

export interface Masker {
  /**
   * Masks a decoded body (see codecs.ts for content-encoding). With `route`, notification handles in
   * that resource's functional fields are kept. Throws KeywardError body_json_invalid | body_too_deep.
   * `reader` is called with the walk when the body is read as one JSON document.
   */
  maskBody(body: Buffer, contentType: string | undefined, route?: MaskRoute, reader?: JsonDocumentReader): MaskResult;
  /** Masks free text (a JS string; locations are `@<char offset>`). */
  maskText(text: string): TextMaskResult;
  /** Masks JSON text by position; the result parses to the same structure with secrets replaced. */
  maskJson(text: string): TextMaskResult;
  /** What would be replaced, in offsets of `text`, without replacing it. */
  detect(text: string, kind: 'json' | 'ndjson' | 'text'): readonly Redaction[];
}
