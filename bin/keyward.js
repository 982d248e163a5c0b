#!/usr/bin/env node
// keyward's command line. The sources are TypeScript run through tsx (a dependency), so the
// package needs no build step: `npx keyward --help`, or `node bin/keyward.js --help`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
