// Runs `keyward mask` alone, as main.ts will once it wires the command in. Tests always pass
// arguments; run bare (as tap does for every file under test/), it exits at once instead of
// waiting on stdin.
import { Command } from 'commander';
import { maskCommand } from '../../../src/cli/mask.js';

if (process.argv.length > 2) {
  await new Command('keyward').addCommand(maskCommand()).parseAsync(['node', 'keyward', 'mask', ...process.argv.slice(2)]);
}
