import { Command } from 'commander';
import { approvalsCommand } from './approvals.js';
import { auditCommand } from './audit.js';
import { configCommand } from './config-check.js';
import { dbCommand } from './db.js';
import { demoCommand } from './demo.js';
import { envoyCommand } from './envoy.js';
import { maskCommand } from './mask.js';
import { serveCommand } from './serve.js';

const program = new Command('keyward')
  .description('A gate between AI agents and the Datadog API: OIDC identity, policy, human approval, key injection, masking of secrets and PII, and a tamper-evident audit trail in Postgres.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(serveCommand())
  .addCommand(demoCommand())
  .addCommand(configCommand())
  .addCommand(maskCommand())
  .addCommand(approvalsCommand())
  .addCommand(auditCommand())
  .addCommand(dbCommand())
  .addCommand(envoyCommand());

await program.parseAsync(process.argv);
