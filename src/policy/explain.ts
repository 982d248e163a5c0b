import type { KeywardConfigData, PolicyRule } from '../config/schema.js';
import { createPolicy, type PolicyAction, type PolicyDecision, type PolicyInput } from './rules.js';

/** One rule as `policy explain` shows it: did it match, and if not, which of its fields did not. */
export interface RuleTrace {
  readonly index: number;
  readonly name: string;
  readonly action: PolicyAction;
  readonly dryRun: boolean;
  readonly matched: boolean;
  /** Match fields (`subject`, `groups`, `path`…) the input failed; empty when the rule matched. */
  readonly failed: readonly string[];
  /** This rule is the one that decided. */
  readonly decided: boolean;
}

export interface PolicyExplanation {
  readonly input: PolicyInput;
  readonly decision: PolicyDecision;
  readonly rules: readonly RuleTrace[];
}

type Policy = KeywardConfigData['policy'];

/** Does `input` satisfy this one match field of `rule`? Decided by the real evaluator, not a second matcher. */
function fieldMatches(rule: PolicyRule, field: string, input: PolicyInput): boolean {
  const match = { [field]: (rule.match as Record<string, unknown>)[field] } as PolicyRule['match'];
  const single: Policy = { default: 'deny', operations: [], agent_keys: 'record', rules: [{ ...rule, name: 'probe', dry_run: false, action: 'allow', match }] };
  return createPolicy(single)(input).rule === 'probe';
}

/**
 * Explains a decision the way OPA users expect: every rule in order, whether it matched and why not,
 * and which one decided. The match fields of a rule are independent (all must hold), so each is tried
 * alone through the same evaluator the gate runs; the decision itself is the gate's own.
 */
export function explainPolicy(policy: Policy, input: PolicyInput): PolicyExplanation {
  const decision = createPolicy(policy)(input);
  const rules = policy.rules.map((rule, index): RuleTrace => {
    const name = rule.name ?? `rule-${index}`;
    const failed = Object.keys(rule.match).filter((f) => (rule.match as Record<string, unknown>)[f] !== undefined && !fieldMatches(rule, f, input));
    return { index, name, action: rule.action, dryRun: rule.dry_run, matched: failed.length === 0, failed, decided: decision.rule === name };
  });
  return { input, decision, rules };
}
