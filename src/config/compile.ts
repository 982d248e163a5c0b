import type { KeywardConfig } from './load.js';
import { createClassifier, type Classifier } from '../policy/catalogue.js';
import { createPolicy, type PolicyEvaluator } from '../policy/rules.js';
import { createMasker, type MaskerOptions } from '../mask/index.js';
import type { Masker } from '../mask/types.js';
import { createBodyCodec, type BodyCodec } from '../mask/codecs.js';
import { contextKey } from '../seal/context-seal.js';

/** A config snapshot with everything derived from it compiled once: what one request reads. */
export interface Runtime {
  readonly config: KeywardConfig;
  readonly classify: Classifier;
  readonly policy: PolicyEvaluator;
  readonly masker: Masker;
  /** Content-encoding codecs bounded by masking.max_body_bytes and max_ratio. */
  readonly codec: BodyCodec;
  /** Masking for calls a given rule allowed: the global section with the rule's override applied. */
  maskingFor(rule: string): RuleMasking;
  /** Seals and verifies the ext_authz → ext_proc context (src/seal/context-seal.ts). */
  readonly contextKey: Buffer;
}

export interface RuleMasking {
  readonly request: boolean;
  readonly response: boolean;
  readonly masker: Masker;
  /** What the masker was built from: a masking worker compiles the same engine from it. */
  readonly options: MaskerOptions;
}

export function compileRuntime(config: KeywardConfig): Runtime {
  const masker = createMasker(config.masking);
  const byStyle = new Map<string, Masker>([[config.masking.style, masker]]);
  const optionsByStyle = new Map<string, MaskerOptions>([[config.masking.style, config.masking]]);
  const fallback: RuleMasking = { request: config.masking.request, response: config.masking.response, masker, options: config.masking };
  const perRule = new Map<string, RuleMasking>();
  config.policy.rules.forEach((rule) => {
    const o = rule.masking;
    if (!o) return;
    const style = o.style ?? config.masking.style;
    if (!byStyle.has(style)) {
      const options = { ...config.masking, style };
      optionsByStyle.set(style, options);
      byStyle.set(style, createMasker(options));
    }
    perRule.set(rule.name, { request: o.request ?? config.masking.request, response: o.response ?? config.masking.response, masker: byStyle.get(style)!, options: optionsByStyle.get(style)! });
  });
  return Object.freeze({
    contextKey: contextKey(config),
    maskingFor: (rule: string) => perRule.get(rule) ?? fallback,
    config,
    classify: createClassifier(config.policy.operations),
    policy: createPolicy(config.policy),
    masker,
    codec: createBodyCodec({ maxBodyBytes: config.masking.max_body_bytes, maxRatio: config.masking.max_ratio }),
  });
}
