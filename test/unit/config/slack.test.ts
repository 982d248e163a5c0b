import t from 'tap';
import { ConfigError, parseConfig } from '../../../src/config/load.js';

const API = '0123456789abcdef0123456789abcdef';
const config = (origin: string | null) =>
  `identity:\n  issuers:\n    - { issuer: "https://idp.example", audiences: [keyward] }\nconnections:\n  - { name: prod, site: datadoghq.com, api_key: "${API}", groups: [agents] }\napprovals:\n  slack:\n    signing_secret: "${'s'.repeat(32)}"\n${origin === null ? '' : `    response_origin: "${origin}"\n`}`;

function parsed(yaml: string) {
  try {
    return { config: parseConfig(yaml, 'k.yaml', {}), issues: [] };
  } catch (e) {
    if (e instanceof ConfigError) return { config: null, issues: e.issues };
    throw e;
  }
}

t.test('config: approvals.slack.response_origin is Slack by default, an origin only, https or loopback http', async (t) => {
  t.equal(parsed(config(null)).config?.approvals.slack?.response_origin, 'https://hooks.slack.com', 'Slack when not set');
  t.same(parsed(config('https://slack.example.internal')).issues, [], 'another https origin (a relay)');
  t.same(parsed(config('http://127.0.0.1:4000')).issues, [], 'a loopback fake for development');
  t.match(parsed(config('https://hooks.slack.com/services')).issues, [{ path: 'approvals.slack.response_origin', line: 9, message: /an origin only/ }]);
  t.match(parsed(config('http://hooks.example')).issues, [{ path: 'approvals.slack.response_origin', message: /https \(plain http only on a loopback host/ }]);
});
