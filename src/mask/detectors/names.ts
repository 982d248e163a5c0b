/**
 * Whether a name (`DB_PASSWORD`, `dbPassword`, `secret_key_base`, `wsse:Password`) says its value is
 * a credential. Judged by its words, not by a list of whole names, so names nobody anticipated
 * (`npmAuthToken`, `smtp.relay.passwd`) count, and words that merely contain a stem (`monkey`,
 * `tokenizer`) do not.
 */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

const PASSWORD_WORDS = new Set(['password', 'passwd', 'passphrase', 'pwd', 'pass', 'pw', 'passcode']);
const SECRET_WORDS = new Set(['secret', 'secrets', 'token', 'key', 'apikey', 'privatekey', 'secretkey', 'cred', 'creds', 'credential', 'credentials', 'auth', 'authkey', 'authtoken', 'salt', 'signature', 'sig']);

/** The last word says the value describes the secret rather than being it (`key_id`, `token_type`). */
const DESCRIBING_LAST = new Set([
  'id', 'ids', 'name', 'names', 'type', 'types', 'kind', 'count', 'length', 'len', 'size', 'url', 'uri', 'path', 'file', 'dir',
  'version', 'hash', 'sha', 'sha1', 'sha256', 'digest', 'fingerprint', 'prefix', 'suffix', 'format', 'field', 'fields', 'header',
  'param', 'policy', 'index', 'ttl', 'expires', 'expiry', 'expiration', 'at', 'ts', 'time', 'date', 'created', 'updated', 'status',
  'enabled', 'required', 'rotation', 'source', 'provider', 'endpoint', 'usage', 'limit', 'max', 'min', 'total', 'used', 'mode',
  'ref', 'arn', 'label', 'alias', 'location', 'region', 'scope', 'scopes', 'algorithm', 'alg', 'method', 'owner', 'hint', 'length',
  'strength', 'policy', 'reset', 'changed', 'last', 'rule', 'store', 'manager', 'vault', 'env', 'var', 'variable', 'template',
]);
/** The first word makes the name something else (`public_key`, `page_token`, `sort_key`). */
const NOT_SECRET_FIRST = new Set([
  'public', 'pub', 'page', 'next', 'prev', 'continuation', 'sync', 'pagination', 'cursor', 'idempotency', 'cache', 'partition',
  'sort', 'primary', 'foreign', 'routing', 'dedup', 'dedupe', 'group', 'lookup', 'map', 'hot', 'short', 'max', 'min', 'input',
  'output', 'total', 'prompt', 'completion', 'num', 'request', 'row', 'bypass', 'compass', 'license', 'aggregation',
  'correlation', 'event', 'dedupe', 'trace', 'span', 'object', 'bucket', 'column', 'cluster', 'shard',
]);

export type SecretNameKind = 'password' | 'generic_secret';

export function secretNameKind(name: string): SecretNameKind | undefined {
  const words = nameWords(name);
  if (words.length === 0 || words.length > 8) return undefined;
  const last = words[words.length - 1]!;
  if (DESCRIBING_LAST.has(last) || NOT_SECRET_FIRST.has(words[0]!)) return undefined;
  // `X-Amz-Credential` / `X-Goog-Credential` of a presigned URL: a key id and scope, not a secret.
  if (words[0] === 'x' && (words[1] === 'amz' || words[1] === 'goog') && last === 'credential') return undefined;
  let kind: SecretNameKind | undefined;
  for (const w of words) {
    if (PASSWORD_WORDS.has(w)) return 'password';
    if (SECRET_WORDS.has(w)) kind = 'generic_secret';
  }
  return kind;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A reference to where the secret lives, not the secret: `$DB_PASS`, `os.environ[…]`, `env(…)`. */
const INDIRECTION = /^(?:\$[A-Za-z_{(]|%[A-Za-z_]|os\.environ|process\.env|getenv|System\.getenv|ENV\[|env\(|secrets\.|vault:|ref\+|arn:)/;

export { UUID as UUID_SHAPE, INDIRECTION };
