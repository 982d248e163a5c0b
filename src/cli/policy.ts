import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, formatIssue, loadConfigFile, type KeywardConfig } from '../config/load.js';
import { isKeywardError } from '../errors.js';
import { createClassifier } from '../policy/catalogue.js';
import { selectConnection } from '../policy/connection.js';
import { explainPolicy, type PolicyExplanation } from '../policy/explain.js';
import { scopedGroups } from '../identity/group-scope.js';

/** What a case (or `policy explain`'s flags) describes: one call by one identity. */
export interface CallUnderTest {
  /** Issuer URL or its configured `name`; may be left out when the config trusts one issuer. */
  readonly issuer?: string | undefined;
  readonly subject: string;
  readonly groups: readonly string[];
  readonly connection?: string | undefined;
  readonly method: string;
  readonly path: string;
}

/** The outcome the gate would reach, including refusals that come before policy (the connection). */
export interface Verdict {
  readonly action: 'allow' | 'deny' | 'require_approval';
  /** Deciding rule name, `default`, or the refusal code when no connection could be chosen. */
  readonly rule: string;
  readonly explanation: PolicyExplanation | null;
  readonly connection: string | null;
  readonly operationClass: string;
}

function loadOrExit(file: string): KeywardConfig {
  try {
    return loadConfigFile(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(e.issues.map((i) => `error config_invalid ${formatIssue(file, i)}`).join('\n') + '\n');
    process.exit(2);
  }
}

/** Runs the gate's own decision steps for a call: classify, pick the connection, evaluate the policy. */
/** The issuer a call is judged as coming from: named, or the only one the config trusts. */
function issuerOf(config: KeywardConfig, named: string | undefined): string {
  const issuers = config.identity.issuers;
  if (named === undefined) {
    if (issuers.length === 1) return issuers[0]!.issuer;
    throw new UsageError(issuers.length === 0 ? 'the config trusts no issuer' : `the config trusts ${issuers.length} issuers: name one with --issuer (or issuer: in a case): ${issuers.map((i) => i.name ?? i.issuer).join(', ')}`);
  }
  const found = issuers.find((i) => i.issuer === named || i.name === named);
  if (!found) throw new UsageError(`issuer ${JSON.stringify(named)} is not in the config's identity.issuers`);
  return found.issuer;
}

class UsageError extends Error {}

export function judge(config: KeywardConfig, call: CallUnderTest): Verdict {
  const operationClass = createClassifier(config.policy.operations)(call.method, call.path);
  // Groups count as their issuer asserted them, exactly as the gate scopes a token's groups.
  const groups = scopedGroups({ issuer: issuerOf(config, call.issuer), groups: [...call.groups] });
  let connection: string;
  try {
    connection = selectConnection(config.connections, groups, call.connection).name;
  } catch (e) {
    if (!isKeywardError(e)) throw e;
    return { action: 'deny', rule: e.code, explanation: null, connection: null, operationClass };
  }
  const explanation = explainPolicy(config.policy, { subject: call.subject, groups, connection, method: call.method.toUpperCase(), path: call.path, operationClass });
  return { action: explanation.decision.action, rule: explanation.decision.rule, explanation, connection, operationClass };
}

function judgeOrExit(config: KeywardConfig, call: CallUnderTest): Verdict {
  try {
    return judge(config, call);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error usage: ${e.message}\n`);
    process.exit(2);
  }
}

function printExplanation(call: CallUnderTest, v: Verdict): void {
  const out: string[] = [];
  out.push(`${call.method.toUpperCase()} ${call.path}  →  class ${v.operationClass}`);
  out.push(`identity    subject ${call.subject} · groups ${call.groups.join(', ') || '(none)'}`);
  if (!v.explanation) {
    out.push(`connection  refused: ${v.rule} (before any rule is considered)`);
  } else {
    out.push(`connection  ${v.connection}`);
    out.push('rules (in order; the first match that is not dry_run decides)');
    if (v.explanation.rules.length === 0) out.push('  (none)');
    for (const r of v.explanation.rules) {
      const mark = r.decided ? '→' : r.matched ? '✓' : '·';
      const why = r.matched ? (r.dryRun ? 'matched (dry_run: recorded, does not decide)' : 'matched') : `no match on ${r.failed.join(', ')}`;
      out.push(`  ${mark} ${String(r.index).padStart(2)} ${r.name.padEnd(24)} ${r.action.padEnd(16)} ${why}`);
    }
    if (v.rule === 'default') out.push(v.operationClass === 'unknown' ? '  → default: unknown operations are always denied' : '  → no rule matched: policy.default decides');
  }
  out.push(`decision    ${v.action} (${v.explanation ? `rule ${v.rule}` : v.rule})`);
  process.stdout.write(out.join('\n') + '\n');
}

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

const caseSchema = z
  .object({
    name: z.string().optional(),
    issuer: z.string().optional(),
    subject: z.string().min(1),
    groups: z.array(z.string()).default([]),
    connection: z.string().optional(),
    method: z.string().min(1),
    path: z.string().startsWith('/'),
    expect: z.enum(['allow', 'deny', 'require_approval']),
    rule: z.string().optional(),
  })
  .strict();
const casesFile = z.object({ cases: z.array(caseSchema).min(1, 'at least one case') }).strict();

export function policyCommand(): Command {
  const policy = new Command('policy').description("Ask the config's policy what it would decide, one call at a time or as a table of cases.");
  policy
    .command('explain')
    .description('Show the operation class, each rule considered and the one that decided.')
    .requiredOption('-c, --config <file>', 'keyward YAML configuration')
    .requiredOption('--subject <subject>', "the agent's subject (token sub)")
    .option('--issuer <url-or-name>', 'the token issuer (needed when the config trusts several)')
    .option('--groups <list>', 'comma-separated groups, as the token carries them', list, [] as string[])
    .option('--connection <name>', 'as if sent with x-keyward-connection')
    .option('--json', 'print JSON')
    .argument('<method>', 'HTTP method')
    .argument('<path>', 'request path as the agent sends it, query included')
    .addHelpText('after', `
Nothing is sent anywhere: the decision is computed from the config file alone, with the gate's own
classifier, connection choice and rule evaluator. Exit 0 whatever the decision; 2 on a bad config.

Example:
  keyward policy explain -c keyward.yaml --subject demo-agent --groups agents DELETE /api/v1/monitor/42`)
    .action((method: string, path: string, opts: { config: string; issuer?: string; subject: string; groups: string[]; connection?: string; json?: boolean }) => {
      const call: CallUnderTest = { issuer: opts.issuer, subject: opts.subject, groups: opts.groups, connection: opts.connection, method, path };
      const verdict = judgeOrExit(loadOrExit(opts.config), call);
      if (opts.json) process.stdout.write(JSON.stringify(verdict) + '\n');
      else printExplanation(call, verdict);
    });
  policy
    .command('test')
    .description('Run a table of cases against the policy; exit 1 on any mismatch (for CI).')
    .requiredOption('-c, --config <file>', 'keyward YAML configuration')
    .argument('<cases>', 'YAML file: cases: [{ name, subject, groups, connection?, method, path, expect, rule? }]')
    .addHelpText('after', `
Each case names the call and what the policy must decide: expect allow | deny | require_approval, and
optionally the deciding rule (a rule name, "default", or a connection refusal code such as
connection_none). Exit 0 when every case passes, 1 when one does not, 2 on a bad file.

Example cases.yaml:
  cases:
    - { name: agents send metrics, subject: demo-agent, groups: [agents], method: POST, path: /api/v2/series, expect: allow }
    - { name: no deletes, subject: demo-agent, groups: [agents], method: DELETE, path: /api/v1/monitor/1, expect: deny }`)
    .action((file: string, opts: { config: string }) => {
      const config = loadOrExit(opts.config);
      let cases: z.infer<typeof casesFile>['cases'];
      try {
        const parsed = casesFile.safeParse(parseYaml(readFileSync(file, 'utf8')));
        if (!parsed.success) {
          for (const i of parsed.error.issues) process.stderr.write(`error cases_invalid ${file}: ${i.path.join('.') || '(root)'}: ${i.message}\n`);
          process.exit(2);
        }
        cases = parsed.data.cases;
      } catch (e) {
        process.stderr.write(`error cases_invalid ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not valid YAML'}\n`);
        process.exit(2);
      }
      let failures = 0;
      cases.forEach((c, i) => {
        const v = judgeOrExit(config, c);
        const ok = v.action === c.expect && (c.rule === undefined || c.rule === v.rule);
        if (!ok) failures++;
        const label = c.name ?? `case ${i}`;
        const want = c.rule === undefined ? c.expect : `${c.expect} by ${c.rule}`;
        process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${label}: ${c.method.toUpperCase()} ${c.path} → ${v.action} by ${v.rule}${ok ? '' : ` (expected ${want})`}\n`);
      });
      process.stdout.write(`${cases.length - failures}/${cases.length} cases pass\n`);
      if (failures > 0) process.exitCode = 1;
    });
  return policy;
}
