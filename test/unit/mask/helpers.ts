import { maskingSection, type MaskingConfig } from '../../../src/config/sections/masking.js';

/** A masking config with defaults, as the config loader would produce it. */
export function maskerConfig(overrides: Partial<Record<keyof MaskingConfig, unknown>> = {}): MaskingConfig {
  return maskingSection.parse(overrides);
}
