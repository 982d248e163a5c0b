import type { ApprovalSettings, KeywardConfigData, OperationClass, PolicyRule } from '../config/schema.js';
import { compileNameGlob, compilePathGlob } from './path-glob.js';
import { splitRequestPath } from './request-path.js';

/** What a policy decision is taken on. */
export interface PolicyInput {
  readonly subject: string;
  readonly groups: readonly string[];
  readonly connection: string;
  readonly method: string;
  readonly path: string;
  readonly operationClass: OperationClass;
}

export type PolicyAction = PolicyRule['action'];

export interface PolicyDecision {
  readonly action: PolicyAction;
  /** Name of the deciding rule, or "default". */
  readonly rule: string;
  readonly approval: ApprovalSettings | null;
  /** Dry-run rules that matched on the way, with what they would have decided. */
  readonly dryRun: readonly { rule: string; action: PolicyAction }[];
}

type Matcher = (input: PolicyInput) => boolean;

interface CompiledRule {
  readonly name: string;
  readonly action: PolicyAction;
  readonly dryRun: boolean;
  readonly approval: ApprovalSettings | null;
  readonly matches: Matcher;
}

const list = <T>(v: T | readonly T[] | undefined): readonly T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v as T]);

function compileRule(rule: PolicyRule): CompiledRule {
  const m = rule.match;
  const checks: Matcher[] = [];
  const connections = list(m.connection);
  if (connections) checks.push((i) => connections.includes(i.connection));
  if (m.groups) {
    const groups = m.groups;
    checks.push((i) => i.groups.some((g) => groups.includes(g)));
  }
  if (m.subject !== undefined) {
    const subject = compileNameGlob(m.subject);
    checks.push((i) => subject.test(i.subject));
  }
  const methods = list(m.method);
  if (methods) checks.push((i) => (methods as readonly string[]).includes(i.method.toUpperCase()));
  if (m.path !== undefined) {
    // Case-insensitive: a deny rule must not be dodged by /API/V1/Monitor.
    const path = new RegExp(compilePathGlob(m.path).source, 'i');
    checks.push((i) => path.test(splitRequestPath(i.path).path));
  }
  const classes = list(m.class);
  if (classes) checks.push((i) => (classes as readonly string[]).includes(i.operationClass));
  return {
    name: rule.name,
    action: rule.action,
    dryRun: rule.dry_run,
    approval: rule.approval ?? null,
    matches: (input) => checks.every((check) => check(input)),
  };
}

export type PolicyEvaluator = (input: PolicyInput) => PolicyDecision;

/** Compiles the policy once per config version. Rules are tried in order; the first that matches decides. */
export function createPolicy(policy: KeywardConfigData['policy']): PolicyEvaluator {
  const rules = policy.rules.map((rule) => compileRule(rule));
  const fallback = policy.default;
  return (input) => {
    const dryRun: { rule: string; action: PolicyAction }[] = [];
    for (const rule of rules) {
      if (!rule.matches(input)) continue;
      if (rule.dryRun) {
        dryRun.push({ rule: rule.name, action: rule.action });
        continue;
      }
      return { action: rule.action, rule: rule.name, approval: rule.approval, dryRun };
    }
    // Unknown operations are never allowed by the default, only by an explicit rule.
    const action = input.operationClass === 'unknown' ? 'deny' : fallback;
    return { action, rule: 'default', approval: null, dryRun };
  };
}
