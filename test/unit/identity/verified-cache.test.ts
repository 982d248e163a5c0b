import t from 'tap';
import { parseConfig } from '../../../src/config/load.js';
import { KeywardError } from '../../../src/errors.js';
import { createVerifiedTokenCache } from '../../../src/identity/verified-cache.js';

const issuers = parseConfig('identity:\n  issuers:\n    - { issuer: "https://i.example", audiences: [a], clock_skew: 0, max_token_age: 100 }\n').identity.issuers;
const issuer = issuers[0]!;
const identity = { issuer: issuer.issuer, subject: 'agent', groups: ['g'], clientId: null, owner: null };
const codeOf = (f: () => unknown) => {
  try {
    return f() === undefined ? 'miss' : 'hit';
  } catch (e) {
    return e instanceof KeywardError ? e.code : 'other';
  }
};

t.test('verified token cache: hits within the window, time claims re-checked on every hit', async (t) => {
  const cache = createVerifiedTokenCache({ maxAgeMs: 60_000 });
  const t0 = 1_000_000_000_000;
  cache.set('tok', { identity, issuer, exp: t0 / 1000 + 30, nbf: t0 / 1000, iat: t0 / 1000 }, t0);
  t.equal(codeOf(() => cache.get('tok', issuers, t0 + 1_000)), 'hit');
  t.equal(codeOf(() => cache.get('other', issuers, t0 + 1_000)), 'miss');
  t.equal(codeOf(() => cache.get('tok', issuers, t0 + 31_000)), 'miss', 'never trusted past exp');
});

t.test('verified token cache: max_token_age and a config reload', async (t) => {
  const cache = createVerifiedTokenCache({ maxAgeMs: 600_000 });
  const t0 = 1_000_000_000_000;
  cache.set('tok', { identity, issuer, exp: t0 / 1000 + 500, nbf: 0, iat: t0 / 1000 }, t0);
  t.equal(codeOf(() => cache.get('tok', issuers, t0 + 101_000)), 'token_too_old');
  cache.set('tok2', { identity, issuer, exp: t0 / 1000 + 500, nbf: 0, iat: t0 / 1000 }, t0);
  const reloaded = parseConfig('identity:\n  issuers:\n    - { issuer: "https://i.example", audiences: [a] }\n').identity.issuers;
  t.equal(codeOf(() => cache.get('tok2', reloaded, t0 + 1_000)), 'miss', 'a reload verifies again');
});

t.test('verified token cache: bounded', async (t) => {
  const cache = createVerifiedTokenCache({ maxEntries: 2 });
  const t0 = 1_000_000_000_000;
  for (const tok of ['a', 'b', 'c']) cache.set(tok, { identity, issuer, exp: t0 / 1000 + 30, nbf: 0, iat: undefined }, t0);
  t.equal(codeOf(() => cache.get('a', issuers, t0)), 'miss', 'the oldest entry was evicted');
  t.equal(codeOf(() => cache.get('c', issuers, t0)), 'hit');
});
