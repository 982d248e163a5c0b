import type { KeywardConfig } from '../config/load.js';
import { createClassifier, type Classifier } from '../policy/catalogue.js';
import { createPolicy, type PolicyEvaluator } from '../policy/rules.js';

/** A config snapshot with everything derived from it compiled once: what one request reads. */
export interface Runtime {
  readonly config: KeywardConfig;
  readonly classify: Classifier;
  readonly policy: PolicyEvaluator;
}

export function compileRuntime(config: KeywardConfig): Runtime {
  return Object.freeze({
    config,
    classify: createClassifier(config.policy.operations),
    policy: createPolicy(config.policy),
  });
}
