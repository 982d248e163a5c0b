/**
 * Configs that validate field by field but must never serve, each with where `config check`, start
 * and reload must point. A good base (one issuer, one connection) with one fault each.
 */
export const GOOD_CONFIG = `identity:
  issuers:
    - { issuer: "https://issuer.example", audiences: [keyward] }
connections:
  - { name: prod, site: datadoghq.com, api_key: "\${env:DD_PROD_API}", groups: [agents] }
`;

export interface BadConfig {
  readonly name: string;
  readonly text: string;
  readonly path: string;
  /** Line of the fault; undefined where the fault is an absence. */
  readonly line?: number;
  readonly message: RegExp;
}

export const BAD_CONFIGS: readonly BadConfig[] = [
  { name: 'a custom pattern that does not compile', text: `${GOOD_CONFIG}masking:\n  custom_patterns:\n    - { name: ticket, pattern: "TICKET-([0-9]+" }\n`, path: 'masking.custom_patterns[0].pattern', line: 8, message: /not a valid regular expression/ },
  { name: 'a custom pattern that can backtrack exponentially', text: `${GOOD_CONFIG}masking:\n  custom_patterns:\n    - name: runs\n      pattern: "(a+)+$"\n`, path: 'masking.custom_patterns[0].pattern', line: 9, message: /backtrack exponentially/ },
  { name: 'a malformed allow path', text: `${GOOD_CONFIG}masking:\n  allow_paths:\n    - "$.message[["\n`, path: 'masking.allow_paths[0]', line: 8, message: /malformed allow path/ },
  { name: 'the hmac style without a key', text: `${GOOD_CONFIG}masking:\n  style: hmac\n`, path: 'masking.hmac_key', line: 7, message: /needs hmac_key/ },
  { name: 'a rule with the hmac style and no key', text: `${GOOD_CONFIG}policy:\n  rules:\n    - { name: r, match: { class: read }, action: allow, masking: { style: hmac } }\n`, path: 'policy.rules[0].masking.style', line: 8, message: /needs masking.hmac_key/ },
  { name: 'an empty file', text: '', path: '', message: /the file is empty/ },
  { name: 'a file of comments only', text: '# truncated\n', path: '', message: /the file is empty/ },
  { name: 'no issuer', text: GOOD_CONFIG.split('connections:')[0]!.replace(/identity:[\s\S]*/, '') + 'connections:' + GOOD_CONFIG.split('connections:')[1]!, path: 'identity.issuers', message: /no issuer is configured/ },
  { name: 'no connection', text: GOOD_CONFIG.split('connections:')[0]!, path: 'connections', message: /no connection is configured/ },
];
