import type { KeywardConfig } from './config/load.js';
import { createClassifier, type Classifier } from './policy/catalogue.js';
import { createPolicy, type PolicyEvaluator } from './policy/rules.js';
import { createMasker } from './mask/index.js';
import type { Masker } from './mask/types.js';
import { createBodyCodec, type BodyCodec } from './mask/codecs.js';

/** A config snapshot with everything derived from it compiled once: what one request reads. */
export interface Runtime {
  readonly config: KeywardConfig;
  readonly classify: Classifier;
  readonly policy: PolicyEvaluator;
  readonly masker: Masker;
  /** Content-encoding codecs bounded by masking.max_body_bytes and max_ratio. */
  readonly codec: BodyCodec;
}

export function compileRuntime(config: KeywardConfig): Runtime {
  return Object.freeze({
    config,
    classify: createClassifier(config.policy.operations),
    policy: createPolicy(config.policy),
    masker: createMasker(config.masking),
    codec: createBodyCodec({ maxBodyBytes: config.masking.max_body_bytes, maxRatio: config.masking.max_ratio }),
  });
}
