// Files the compiled code reads beside itself, copied next to it in dist/: the SQL migrations
// (src/db/migrate.ts reads ./migrations/) and keyward's protos (src/envoy/protos.ts reads ../../proto).
// Usage: node scripts/copy-build-assets.mjs [OUT_DIR]   (default dist; the bench builds elsewhere)
import { cpSync } from 'node:fs';

const out = process.argv[2] ?? 'dist';
cpSync('src/db/migrations', `${out}/src/db/migrations`, { recursive: true });
cpSync('proto', `${out}/proto`, { recursive: true });
