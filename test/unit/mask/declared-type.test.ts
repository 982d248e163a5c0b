import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';

const masker = createMasker({ style: 'redact', max_depth: 64, custom_patterns: [], allow_paths: [] });
// A GitHub token with one character written as a JSON escape: only a JSON reading decodes it.
const body = Buffer.from('{"message":"token ghp_\\u00310123456789abcdefghijABCDEFGHIJklmnopqr"}', 'latin1');

for (const contentType of ['text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'application/json,application/json']) {
  t.test(`mask: a JSON body declared as ${contentType} is still read as JSON`, async (t) => {
    const r = masker.maskBody(body, contentType);
    t.equal(r.kind, 'json');
    t.ok(r.changed);
    t.notOk(r.body.toString().includes('0123456789abcdefghij'), 'the escaped token is masked');
    JSON.parse(r.body.toString());
  });
}

t.test('mask: a text body that only starts like JSON stays text', async (t) => {
  t.equal(masker.maskBody(Buffer.from('{not json} jane@example.com'), 'text/plain').kind, 'text');
});
