// `prepare` (npm install / npm ci in a checkout): compile to dist/ so `npm start` and bin/keyward.js
// run JavaScript. A production install (--omit=dev, as the Docker image's last stage) has no
// TypeScript compiler: it uses the dist/ built beforehand, and says so.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  require.resolve('typescript');
} catch {
  console.log('keyward prepare: typescript is not installed (production install); using the dist/ built beforehand');
  process.exit(0);
}
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
execFileSync(process.execPath, ['scripts/copy-build-assets.mjs'], { stdio: 'inherit' });
