import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AuthProto } from '../../proto/gen/external_auth.js';
import type { ProtoGrpcType as ExtProcProto } from '../../proto/gen/external_processor.js';

const require = createRequire(import.meta.url);
const xdsRoot = dirname(require.resolve('@grpc/grpc-js-xds/package.json'));

/** Envoy API proto folders shipped by @grpc/grpc-js-xds, and keyward's own. */
export const PROTO_INCLUDE_DIRS = [
  join(xdsRoot, 'deps/envoy-api'),
  join(xdsRoot, 'deps/xds'),
  join(xdsRoot, 'deps/googleapis'),
  join(xdsRoot, 'deps/protoc-gen-validate'),
  join(dirname(fileURLToPath(import.meta.url)), '../../proto'),
];

/** The same options the generated types were made with (package.json "gen:types"). */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: PROTO_INCLUDE_DIRS,
};

let cached: { auth: AuthProto; extProc: ExtProcProto } | undefined;

/** Loads the two Envoy services once per process. */
export function envoyProtos(): { auth: AuthProto; extProc: ExtProcProto } {
  if (!cached) {
    const auth = grpc.loadPackageDefinition(protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', LOADER_OPTIONS)) as unknown as AuthProto;
    const extProc = grpc.loadPackageDefinition(protoLoader.loadSync('envoy/service/ext_proc/v3/external_processor.proto', LOADER_OPTIONS)) as unknown as ExtProcProto;
    cached = { auth, extProc };
  }
  return cached;
}
