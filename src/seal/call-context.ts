import type { OperationClass } from '../config/schema.js';

/** The context handed to ext_proc (schema: proto/keyward/v1/context.proto). */
export interface CallContext {
  readonly request_id: string;
  readonly issuer: string;
  readonly subject: string;
  readonly groups: readonly string[];
  readonly client_id: string;
  readonly connection: string;
  readonly operation_class: OperationClass;
  readonly rule: string;
  readonly approval_id: string;
  readonly config_version: string;
  /** sha256 of the body an approval was granted for ('' without approval): ext_proc checks the forwarded body against it. */
  readonly approved_body_sha256: string;
  /** The method and path checked (seal/context-binding.ts): ext_proc refuses a stream for any other. */
  readonly method: string;
  readonly path: string;
}

/** The context with its seal, as it travels in Envoy's dynamic metadata. */
export interface SealedContext extends CallContext {
  readonly expires_at: number;
  readonly seal: string;
}
