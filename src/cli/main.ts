import { Command } from 'commander';
import { COMMANDS } from './commands.js';

const program = new Command('keyward')
  .description('A gate between AI agents and the Datadog API: OIDC identity, policy, human approval, key injection, masking of secrets and PII, and a tamper-evident audit trail in Postgres.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

// The first argument that is not an option names the command (keyward takes no global options but
// --help/--version, which commander answers before any command runs).
const words = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const named = words[0] === 'help' ? words[1] : words[0];
const chosen = named !== undefined && Object.hasOwn(COMMANDS, named) ? named : undefined;
for (const [name, entry] of Object.entries(COMMANDS)) {
  program.addCommand(name === chosen ? await entry.load() : new Command(name).description(entry.description));
}

await program.parseAsync(process.argv);
