import t from 'tap';
import { ConfigError, parseConfig } from '../../../src/config/load.js';

const API = '0123456789abcdef0123456789abcdef';
const config = (issuer: string, signIn: string) =>
  `identity:\n  issuers:\n    - { issuer: "${issuer}", audiences: [keyward] }\nconnections:\n  - { name: prod, site: datadoghq.com, api_key: "${API}", groups: [agents] }\napprovals:\n  sign_in:\n    issuer: "${signIn}"\n    client_id: keyward-approvals\n`;

function issuesOf(yaml: string) {
  try {
    parseConfig(yaml, 'k.yaml', {});
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}

t.test('config: the sign-in issuer is https, or plain http on a loopback host only (codes and tokens cross it)', async (t) => {
  const remote = issuesOf(config('http://idp.example', 'http://idp.example'));
  t.match(remote.find((i) => i.path === 'approvals.sign_in.issuer'), { line: 8, message: /https \(plain http only on a loopback host/ });
  for (const ok of ['https://idp.example', 'http://127.0.0.1:8080', 'http://localhost:9000', 'http://[::1]:9000']) {
    t.same(issuesOf(config(ok, ok)).filter((i) => i.path.startsWith('approvals')), [], `${ok} is accepted`);
  }
  const lookalike = issuesOf(config('http://127.0.0.1.evil.example', 'http://127.0.0.1.evil.example'));
  t.ok(lookalike.some((i) => i.path === 'approvals.sign_in.issuer'), 'a host that only starts like a loopback address is remote');
  const unknown = issuesOf(config('https://idp.example', 'https://other.example'));
  t.match(unknown.find((i) => i.path === 'approvals.sign_in.issuer'), { message: /not one of identity\.issuers/ });
});
