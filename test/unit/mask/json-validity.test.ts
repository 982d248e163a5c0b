import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { maskerConfig } from './helpers.js';

// The masker validates JSON itself (it never re-serialises): what JSON.parse refuses, it refuses.
const masker = createMasker(maskerConfig());
const mask = (s: string, type = 'application/json') => masker.maskBody(Buffer.from(s, 'latin1'), type);

const invalid = [
  '{"a":"x\ny"}',
  '{"a":"x\ty"}',
  '{"a":"x\ry"}',
  '{"a":"\\x"}',
  '{"a":"\\u12g4"}',
  '{"a":"\\u12"}',
  '{"a":"abc\\',
  '{"a":"abc',
  '{"a" "b"}',
  '{"a":1 "b":2}',
  '{a:1}',
  '{"a":1,}',
  '[1,]',
  '[1 2]',
  '{"a":01}',
  '{"a":-}',
  '{"a":1.}',
  '{"a":1e}',
  '{"a":tru}',
  '{"a":1}}',
  '{"a":1} x',
  '"a"\x01',
  '{"a":"\x7f\x00"}',
  '{}\n{}',
];
for (const s of invalid) {
  t.test(`json: ${JSON.stringify(s)} → body_json_invalid, as JSON.parse refuses it`, async (t) => {
    t.throws(() => JSON.parse(s));
    t.throws(() => mask(s), { code: 'body_json_invalid' });
  });
}

const valid = [
  '{"a":"x\\ny\\t\\"z\\"\\\\\\/\\b\\f\\r\\u00e9"}',
  '{\n\t"a" :\r\n [ 1 , -2.5e+3 , true , false , null , "\\\\" ] \n}\n',
  '\ufeff{"a":1}',
  '"just a string"',
  '  12  ',
  '[[],{},[{}],""]',
  '{"":""}',
  '{"a":"\\"","b":"\\\\","c":"\\\\\\""}',
];
for (const s of valid) {
  t.test(`json: ${JSON.stringify(s)} parses and is left as it was`, async (t) => {
    const r = masker.maskJson(s);
    t.equal(r.text, s);
    t.equal(r.changed, false);
  });
}

t.test('json: escaped and plain strings side by side are each read to their own closing quote', async (t) => {
  const r = masker.maskJson('["a\\"b","x@example.com","c\\\\","y@example.com\\n","z"]');
  t.equal(r.text, '["a\\"b","[REDACTED:email]","c\\\\","[REDACTED:email]\\n","z"]');
});

t.test('json: raw newlines between NDJSON documents are fine, inside a string they are not', async (t) => {
  const r = mask('{"a":"x@example.com"}\r\n{"b":"ok"}\n\n{"c":["y@example.com"]}\n', 'application/x-ndjson');
  t.equal(r.body.toString('latin1'), '{"a":"[REDACTED:email]"}\r\n{"b":"ok"}\n\n{"c":["[REDACTED:email]"]}\n');
  t.same(r.findings[0]?.locations, ['[0]$.a', '[2]$.c[0]']);
  t.throws(() => mask('{"a":"x\ny"}\n{"b":1}\n', 'application/x-ndjson'), { code: 'body_json_invalid' });
});

t.test('json: paths name nested members, array indices and documents', async (t) => {
  const r = masker.maskJson('{"a":[1,{"b":["q","x@example.com"]}],"c":{"d":{"e":"y@example.com"}},"f":"z@example.com"}');
  t.same(r.findings, [{ type: 'email', count: 3, locations: ['$.a[1].b[1]', '$.c.d.e', '$.f'] }]);
});
