// Runs `keyward mask` alone, as main.ts will once it wires the command in.
import { Command } from 'commander';
import { maskCommand } from '../../../src/cli/mask.js';

await new Command('keyward').addCommand(maskCommand()).parseAsync(['node', 'keyward', 'mask', ...process.argv.slice(2)]);
