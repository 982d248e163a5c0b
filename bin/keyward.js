#!/usr/bin/env node
// keyward's command line. An installed package runs the compiled JavaScript in dist/ (built by
// `npm run build`, which `prepare` runs at install). A checkout without a build, and the tests (whose
// runner already loads TypeScript, KEYWARD_TS_LOADER=external), run the sources through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
if (process.env.KEYWARD_TS_LOADER !== 'external' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  if (process.env.KEYWARD_TS_LOADER !== 'external') (await import('tsx/esm/api')).register();
  await import('../src/cli/main.ts');
}
