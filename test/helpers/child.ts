import { resolve } from 'node:path';

/**
 * Child processes run keyward's TypeScript with the loader of this test process (tap's), not tsx:
 * tap merges their V8 coverage with the parent's, and tsx's whitespace-minified output maps every
 * file to one line, so a run where a child's map won reported "100 %" of nothing. Importing this
 * module tells bin/keyward.js (via the environment children inherit) that a loader is already there.
 */
process.env.KEYWARD_TS_LOADER = 'external';

/** Node flags for a child: this process's loader imports and source-map support. */
export const CHILD_NODE_ARGS: readonly string[] = [...process.execArgv];

/** argv for `node` to run the keyward CLI as a child. */
export const KEYWARD_CLI: readonly string[] = [...CHILD_NODE_ARGS, resolve('bin/keyward.js')];
