#!/usr/bin/env node
// keyward's command line. The sources are TypeScript run through tsx (a dependency), so the
// package needs no build step: `npx keyward --help`, or `node bin/keyward.js --help`.
import { register } from 'tsx/esm/api';

// A test runner that already loads TypeScript (tap) says so: its children keep its loader.
if (process.env.KEYWARD_TS_LOADER !== 'external') register();
await import('../src/cli/main.ts');
