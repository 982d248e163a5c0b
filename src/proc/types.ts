import type { SealedContext } from '../seal/call-context.js';

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
  /**
   * The call context ext_authz sealed, as the edge read it from Envoy's forwarded metadata; null when
   * missing or malformed (a mis-wired Envoy: the processor must refuse, never guess). Its seal is unchecked.
   */
  readonly context: SealedContext | null;
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
