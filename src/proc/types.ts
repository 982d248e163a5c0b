import type { Plain } from '../envoy/struct.js';

/** Header changes as plain data; the Envoy edge turns them into a HeaderMutation. */
export interface HeaderEdits {
  readonly set: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

export interface ContinueAnswer {
  readonly kind: 'continue';
  readonly headers?: HeaderEdits;
  /** Replacement body (the edge sends a BodyMutation; in a headers answer, CONTINUE_AND_REPLACE). */
  readonly body?: Buffer;
  readonly clearRouteCache?: boolean;
  /** Ask Envoy to buffer and send the bodies of this request (mode_override from the request headers answer). */
  readonly bufferRequestBody?: boolean;
  readonly bufferResponseBody?: boolean;
}

export interface ImmediateAnswer {
  readonly kind: 'immediate';
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
  /** Response code details Envoy records; a stable code. */
  readonly details: string;
}

export type PhaseAnswer = ContinueAnswer | ImmediateAnswer;

export interface HeadersMessage {
  /** Lower-case names; pseudo-headers (:path, :method, :status) included. */
  readonly headers: ReadonlyMap<string, string>;
  readonly endOfStream: boolean;
  /** Forwarded dynamic metadata, by filter namespace. */
  readonly metadata: Readonly<Record<string, { readonly [key: string]: Plain }>>;
}

export interface BodyMessage {
  readonly body: Buffer;
  readonly endOfStream: boolean;
}

/** One ext_proc stream (one HTTP request). A phase not overridden passes through unchanged. */
export interface StreamProcessor {
  requestHeaders(m: HeadersMessage): Promise<PhaseAnswer>;
  requestBody(m: BodyMessage): Promise<PhaseAnswer>;
  responseHeaders(m: HeadersMessage): Promise<PhaseAnswer>;
  responseBody(m: BodyMessage): Promise<PhaseAnswer>;
}

export const PASS: ContinueAnswer = Object.freeze({ kind: 'continue' });
