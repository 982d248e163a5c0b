// Files the compiled code reads beside itself, copied next to it in dist/: the SQL migrations
// (src/db/migrate.ts reads ./migrations/) and keyward's protos (src/envoy/protos.ts reads ../../proto).
import { cpSync } from 'node:fs';

cpSync('src/db/migrations', 'dist/src/db/migrations', { recursive: true });
cpSync('proto', 'dist/proto', { recursive: true });
