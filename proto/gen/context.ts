import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CallContext as _keyward_v1_CallContext, CallContext__Output as _keyward_v1_CallContext__Output } from './keyward/v1/CallContext';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  keyward: {
    v1: {
      CallContext: MessageTypeDefinition<_keyward_v1_CallContext, _keyward_v1_CallContext__Output>
    }
  }
}

