import t from 'tap';
import { ConfigError, parseConfig } from '../../../src/config/load.js';

const API = '0123456789abcdef0123456789abcdef';
const conn = (groups: string) => `connections:\n  - { name: prod, site: datadoghq.com, api_key: "${API}", groups: ${groups} }\n`;
const one = 'identity:\n  issuers:\n    - { issuer: "https://a.example", audiences: [k] }\n';
const two = 'identity:\n  issuers:\n    - { issuer: "https://a.example", name: corp, audiences: [k] }\n    - { issuer: "https://b.example", name: partner, audiences: [k] }\n';

function issuesOf(yaml: string) {
  try {
    parseConfig(yaml, 'k.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => ({ path: i.path, message: i.message }));
    throw e;
  }
  return [];
}

t.test('config: with one issuer, plain group names keep working and mean that issuer', async (t) => {
  const c = parseConfig(one + conn('[agents]') + 'policy:\n  rules:\n    - { match: { groups: [agents] }, action: require_approval, approval: { approvers: [leads] } }\n');
  t.same(c.connections[0]!.groups, ['https://a.example#agents']);
  t.same(c.policy.rules[0]!.match.groups, ['https://a.example#agents']);
  t.same(c.policy.rules[0]!.approval!.approvers, ['https://a.example#leads']);
});

t.test('config: with several issuers a group names its issuer, by name or URL', async (t) => {
  const c = parseConfig(two + conn('["corp#agents", "https://b.example#agents", "partner#team#1"]'));
  t.same(c.connections[0]!.groups, ['https://a.example#agents', 'https://b.example#agents', 'https://b.example#team#1']);
});

t.test('config: an unqualified or unknown-issuer group with several issuers is refused with its YAML path', async (t) => {
  t.match(issuesOf(two + conn('[agents]')), [{ path: 'connections[0].groups[0]', message: /must name its issuer.*corp#agents/ }]);
  t.match(issuesOf(two + conn('["nobody#agents"]')), [{ path: 'connections[0].groups[0]', message: /issuer "nobody", which is not trusted/ }]);
  t.match(issuesOf(two + conn('["corp#"]')), [{ message: /no group after "#"/ }]);
  t.match(issuesOf(two + 'policy:\n  rules:\n    - { match: { groups: [agents] }, action: deny }\n'), [{ path: 'policy.rules[0].match.groups[0]' }]);
  t.match(issuesOf(two + 'policy:\n  rules:\n    - { action: require_approval, approval: { approvers: [leads] } }\n'), [{ path: 'policy.rules[0].approval.approvers[0]' }]);
});

t.test('config: issuer names are unique labels; an issuer URL has no fragment', async (t) => {
  t.match(issuesOf('identity:\n  issuers:\n    - { issuer: "https://a.example", name: x, audiences: [k] }\n    - { issuer: "https://b.example", name: x, audiences: [k] }\n'), [{ message: /duplicate issuer name "x"/ }]);
  t.match(issuesOf('identity:\n  issuers:\n    - { issuer: "https://a.example#x", audiences: [k] }\n'), [{ message: /no "#" fragment/ }]);
  t.match(issuesOf('identity:\n  issuers:\n    - { issuer: "https://a.example", name: "Corp#1", audiences: [k] }\n'), [{ path: 'identity.issuers[0].name' }]);
  t.equal(parseConfig('identity:\n  issuers:\n    - { issuer: "https://a.example", audiences: [k], max_token_lifetime: 1h }\n').identity.issuers[0]!.max_token_lifetime, 3_600_000);
});
