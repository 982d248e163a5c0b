import { parseConfig } from '../../src/config/load.js';

/** The replica both budget benches measure: one issuer, one connection, reads allowed, counters under `prefix`; `budgets` appended as YAML. */
export const budgetBenchConfig = (issuer: string, redisUrl: string, prefix: string, budgets = '') =>
  parseConfig(`
identity: { issuers: [{ issuer: "${issuer}", audiences: [keyward] }] }
connections: [{ name: prod, site: datadoghq.com, api_key: a1b2c3d4e5f60718293a4b5c6d7e8f90, groups: [agents] }]
policy: { rules: [{ name: reads, match: { class: read }, action: allow }] }
budget_store: { redis_url: "${redisUrl}", key_prefix: "${prefix}" }
${budgets}`);
