// Original file: proto/keyward/v1/context.proto


export interface CallContext {
  'request_id'?: (string);
  'issuer'?: (string);
  'subject'?: (string);
  'groups'?: (string)[];
  'client_id'?: (string);
  'connection'?: (string);
  'operation_class'?: (string);
  'rule'?: (string);
  'approval_id'?: (string);
  'config_version'?: (string);
  'approved_body_sha256'?: (string);
  'expires_at'?: (number | string);
  'seal'?: (string);
  'method'?: (string);
  'path'?: (string);
}

export interface CallContext__Output {
  'request_id': (string);
  'issuer': (string);
  'subject': (string);
  'groups': (string)[];
  'client_id': (string);
  'connection': (string);
  'operation_class': (string);
  'rule': (string);
  'approval_id': (string);
  'config_version': (string);
  'approved_body_sha256': (string);
  'expires_at': (number);
  'seal': (string);
  'method': (string);
  'path': (string);
}
