import fc from 'fast-check';
import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { maskerConfig } from './helpers.js';

// Properties of the contexts that declare a secret by syntax: percent-encoding, rc files, XML, SQL.
// For every generated input the secret is gone whole, the syntax around it is intact, and JSON
// carrying the same text still parses to the same structure apart from the secret.
const masker = createMasker(maskerConfig());
const runs = { numRuns: 150 };

const str = (alphabet: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = LOWER + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** A password: mixed classes guaranteed, plus punctuation SQL and XML must carry. */
const password = fc.tuple(str(ALNUM + "!#%^*()-_=+[]{}:./~", 6, 30), str('0123456789', 1, 2), str(LOWER, 1, 2)).map(([a, b, c]) => `${b}${a}${c}`);
const token = fc.tuple(str(ALNUM, 20, 40), str('0123456789', 1, 1), str(LOWER, 1, 1)).map(([a, b, c]) => `${a}${b}${c}X`);

/** The masked text equals the input with exactly `secret` replaced by a redaction. */
function maskedExactly(input: string, secret: string, json = false): void {
  const i = input.indexOf(secret);
  const out = json ? masker.maskJson(input).text : masker.maskText(input).text;
  const before = input.slice(0, i);
  const after = input.slice(i + secret.length);
  if (!(out.startsWith(before) && out.endsWith(after) && /^\[REDACTED:[a-z0-9_]+\]$/.test(out.slice(before.length, out.length - after.length)))) {
    throw new Error(`${JSON.stringify(input)} → ${JSON.stringify(out)}`);
  }
}

t.test('mask property: a percent-encoded e-mail in a query or form body is replaced whole', async () => {
  const email = fc.tuple(str(LOWER + '0123456789._+', 1, 20), str(LOWER, 1, 12), fc.constantFrom('com', 'org', 'co.uk', 'example')).map(([l, d, tld]) => `${/^[._+]/.test(l) ? 'a' + l : l}@${d}.${tld}`);
  fc.assert(
    fc.property(email, fc.constantFrom('?', '&', ''), (e, lead) => {
      const enc = encodeURIComponent(e);
      maskedExactly(`POST /signup${lead === '' ? ' ' : lead}email=${enc}&plan=pro`, enc);
    }),
    runs,
  );
});

t.test('mask property: a percent-encoded international phone number is replaced whole', async () => {
  const phone = fc.tuple(fc.integer({ min: 1, max: 99 }), fc.array(str('0123456789', 2, 4), { minLength: 3, maxLength: 4 }), fc.constantFrom(' ', '-', '')).map(([cc, groups, sep]) => `+${cc} ${groups.join(sep)}`).filter((s) => {
    const n = s.replace(/[^0-9]/g, '').length;
    return n >= 8 && n <= 15;
  });
  fc.assert(
    fc.property(phone, (ph) => {
      const enc = encodeURIComponent(ph);
      maskedExactly(`GET /verify?phone=${enc}&channel=sms`, enc);
    }),
    runs,
  );
});

t.test('mask property: rc-file credentials (.npmrc, .netrc) are replaced, hosts and logins kept', async () => {
  const host = fc.tuple(str(LOWER, 2, 10), fc.constantFrom('.example.com', '.internal', '.io')).map(([a, b]) => `${a}${b}`);
  fc.assert(
    fc.property(host, token, (h, tok) => maskedExactly(`//${h}/:_authToken=${tok}\nalways-auth=true`, tok)),
    runs,
  );
  fc.assert(
    fc.property(host, str(LOWER, 2, 8), password, (h, login, pw) => maskedExactly(`machine ${h} login ${login} password ${pw}\n`, pw)),
    runs,
  );
});

t.test('mask property: XML elements and key/value attributes named like secrets lose their value only', async () => {
  const name = fc.tuple(fc.constantFrom('', 'wsse:', 'ns1:'), fc.constantFrom('', 'db', 'smtp', 'Admin'), fc.constantFrom('Password', 'password', 'Passwd', 'ClientSecret', 'apiToken', 'secret')).map(([ns, a, b]) => [ns, a === '' ? b : `${a}${b[0]!.toUpperCase()}${b.slice(1)}`] as const);
  const xmlValue = password.map((s) => s.replace(/[<>&]/g, 'x')).filter((s) => s.trim() === s);
  fc.assert(
    fc.property(name, xmlValue, token, fc.constantFrom('', ' Type="#PasswordText"'), ([ns, local], v, tok, attrs) => {
      // Passwords may be weak; other secrets (client secrets, API tokens) are random strings.
      const pw = /[Pp]ass/.test(local) ? v : tok;
      maskedExactly(`<root><${ns}${local}${attrs}>${pw}</${ns}${local}><note>ok</note></root>`, pw);
    }),
    runs,
  );
  fc.assert(
    fc.property(name, xmlValue, token, ([, local], v, tok) => {
      const secret = /[Pp]ass/.test(local) ? v : tok;
      maskedExactly(`<add key="${local}" value="${secret}" />`, secret);
    }),
    runs,
  );
  fc.assert(
    fc.property(xmlValue, (v) => {
      const xml = `<config><description>${v}</description><retries>3</retries></config>`;
      if (masker.maskText(xml).text !== xml) throw new Error(`changed ${xml}`);
    }),
    runs,
  );
});

t.test('mask property: SQL passwords (quoted, with doubled quotes, or IDENTIFIED BY) are replaced whole', async () => {
  const sqlPw = fc.tuple(password, fc.boolean()).map(([p, q]) => (q ? `${p.slice(0, 3)}''${p.slice(3)}` : p));
  fc.assert(
    fc.property(sqlPw, fc.constantFrom('CREATE USER app WITH PASSWORD ', "ALTER USER 'r'@'%' IDENTIFIED BY ", 'ALTER ROLE app PASSWORD ', "SET PASSWORD FOR 'a'@'%' = PASSWORD("), (pw, lead) => {
      maskedExactly(`${lead}'${pw}'${lead.endsWith('(') ? ')' : ''};`, pw);
    }),
    runs,
  );
});

t.test('mask property: the same contexts inside JSON strings keep the JSON valid and the rest identical', async () => {
  fc.assert(
    fc.property(password, token, (pw, tok) => {
      const doc = { message: `CREATE USER app WITH PASSWORD '${pw}'`, rc: `//r.example.com/:_authToken=${tok}`, n: '9007199254740993', keep: 'plain text' };
      const src = JSON.stringify(doc).replace('"9007199254740993"', '9007199254740993');
      const out = masker.maskJson(src).text;
      const parsed = JSON.parse(out.replace(/:9007199254740993/, ':"9007199254740993"')) as Record<string, string>;
      if (!out.includes(':9007199254740993,') || parsed.keep !== 'plain text' || out.includes(pw) || out.includes(tok)) throw new Error(out);
    }),
    runs,
  );
});
