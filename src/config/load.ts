import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { keywardSchema, type KeywardConfigData } from './schema.js';
import { listenWarnings } from './sections/listen.js';
import { closest, knownKeysAt } from './suggest.js';

/** A validated, resolved, frozen configuration, plus what the gate needs to know about it. */
export type KeywardConfig = Readonly<KeywardConfigData> & {
  /** Short content hash; recorded with every decision so an auditor knows which policy decided. */
  readonly version: string;
  /** Path of the file it came from, or "<inline>". */
  readonly source: string;
  /** Every value that came from a ${env:} or ${file:} reference, and every secret field written inline: never to be logged or stored. */
  readonly secrets: readonly string[];
  /** Absolute path of every ${file:} reference, by the dotted config path that names it (watched for rotation). */
  readonly files: Readonly<Record<string, string>>;
  /** Not errors, but worth an operator's attention (secrets written inline, plaintext gRPC ports). */
  readonly warnings: readonly ConfigIssue[];
};

export interface ConfigIssue {
  /** Dotted path in the YAML, e.g. `connections[0].api_key`. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly issues: readonly ConfigIssue[];
  readonly source: string;
  constructor(source: string, issues: ConfigIssue[]) {
    super(`${source}: ${issues.length} configuration error(s)\n${issues.map((i) => '  ' + formatIssue(source, i)).join('\n')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.issues = issues;
  }
}

export function formatIssue(source: string, issue: ConfigIssue): string {
  const where = issue.line ? `${source}:${issue.line}:${issue.column ?? 1}` : source;
  return `${where} ${issue.path || '(root)'}: ${issue.message}`;
}

export interface LoadOptions {
  /** Environment for ${env:NAME}; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Base folder for relative ${file:PATH}; defaults to the config file's folder. */
  baseDir?: string;
}

export function loadConfigFile(path: string, options: LoadOptions = {}): KeywardConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, [{ path: '', message: `cannot read file (${(e as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  // A file with nothing in it (a truncated write, an editor's empty save) is never meant as "all defaults".
  if (parseDocument(text).contents === null) throw new ConfigError(path, [{ path: '', message: 'the file is empty' }]);
  return parseConfig(text, path, { baseDir: dirname(resolvePath(path)), ...options });
}

/** parse → resolve references → validate → freeze. Throws ConfigError listing every problem with its line. */
export function parseConfig(text: string, source = '<inline>', options: LoadOptions = {}): KeywardConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => (offset === undefined ? {} : { line: lineCounter.linePos(offset).line, column: lineCounter.linePos(offset).col });

  // One syntax mistake (a line indented one space off) makes the parser report every line after it;
  // the first error is the one a person can act on, so it is the only one reported.
  const first = doc.errors[0];
  if (first) throw new ConfigError(source, [{ path: '', ...at(first.pos[0]), message: `YAML syntax: ${first.message.split('\n')[0]!}` }]);
  const raw: unknown = doc.toJS() ?? {};
  const secrets: string[] = [];
  const files: Record<string, string> = {};
  const refIssues: ConfigIssue[] = [];
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  const resolved = resolveReferences(raw, [], (path, message) => refIssues.push({ path: formatPath(path), ...at(nodeAt(doc.contents, path)?.range?.[0]), message }), env, baseDir, secrets, files);
  if (refIssues.length > 0) throw new ConfigError(source, refIssues);

  const result = keywardSchema.safeParse(resolved);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.flatMap((issue): ConfigIssue[] => {
        const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
        if (issue.code === 'unrecognized_keys') {
          // One error per unknown key, at the key's own line, with the closest known key at that level.
          const known = knownKeysAt(keywardSchema, path);
          const parent = nodeAt(doc.contents, path);
          return issue.keys.map((key) => {
            const keyNode = isMap(parent) ? (parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key)?.key as Node | undefined) : undefined;
            const guess = closest(key, known);
            const message = `unknown key \`${key}\`${guess ? ` (did you mean \`${guess}\`?)` : known.length > 0 ? `; known keys here: ${known.join(', ')}` : ''}`;
            return { path: formatPath(path), ...at((keyNode ?? nearestNode(doc.contents, path))?.range?.[0]), message };
          });
        }
        let message = issue.message;
        if (issue.code === 'invalid_value') {
          const written = valueAt(resolved, path);
          const guess = typeof written === 'string' ? closest(written, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
          if (guess) message = `${message}, got \`${String(written)}\` (did you mean \`${guess}\`?)`;
        }
        return [{ path: formatPath(path), ...at(nearestNode(doc.contents, path)?.range?.[0]), message }];
      }),
    );
  }
  const version = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const warnings: ConfigIssue[] = [];
  for (const path of secretPaths(result.data)) {
    const written = valueAt(raw, path);
    if (typeof written !== 'string' || REF_TEST.test(written)) continue;
    const resolvedValue = valueAt(result.data, path);
    if (typeof resolvedValue === 'string') secrets.push(resolvedValue);
    warnings.push({ path: formatPath(path), ...at(nodeAt(doc.contents, path)?.range?.[0]), message: INLINE_SECRET });
  }
  for (const w of listenWarnings(result.data.listen)) warnings.push({ ...w, ...at(nodeAt(doc.contents, w.path.split('.'))?.range?.[0]) });
  return deepFreeze({ ...result.data, version, source, secrets: secrets.filter((s) => s.length > 0), files, warnings });
}

const REF_TEST = /\$\{(?:env|file):[^}]+\}/;
const INLINE_SECRET = 'a secret written inline (it ends up in backups and version control): reference it with ${env:NAME} or ${file:PATH}';

/** Where secrets live in a config: keys, the seal and HMAC keys, a database URL with a password. */
function secretPaths(c: KeywardConfigData): (string | number)[][] {
  const paths: (string | number)[][] = [];
  c.connections.forEach((x, i) => {
    paths.push(['connections', i, 'api_key']);
    if (x.app_key !== undefined) paths.push(['connections', i, 'app_key']);
  });
  if (c.masking.hmac_key !== undefined) paths.push(['masking', 'hmac_key']);
  if (c.listen.context_key !== undefined) paths.push(['listen', 'context_key']);
  if (c.audit.checkpoint_key !== undefined) paths.push(['audit', 'checkpoint_key']);
  if (c.audit.chain_key !== undefined) paths.push(['audit', 'chain_key', 'key']);
  c.audit.retired_chain_keys.forEach((_k, i) => paths.push(['audit', 'retired_chain_keys', i, 'key']));
  if (c.listen.tls !== undefined) paths.push(['listen', 'tls', 'key']);
  if (c.approvals.slack !== undefined) paths.push(['approvals', 'slack', 'signing_secret']);
  if (c.database.url !== undefined && /:\/\/[^/@:]+:[^/@]+@/.test(c.database.url)) paths.push(['database', 'url']);
  return paths;
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

const REF = /\$\{(env|file):([^}]+)\}/g;

function resolveReferences(
  value: unknown,
  path: (string | number)[],
  fail: (path: (string | number)[], message: string) => void,
  env: NodeJS.ProcessEnv,
  baseDir: string,
  secrets: string[],
  files: Record<string, string>,
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(REF, (_m, kind: string, name: string) => {
      let resolved: string | undefined;
      if (kind === 'env') {
        resolved = env[name];
        if (resolved === undefined) fail(path, `environment variable ${name} is not set`);
      } else {
        files[formatPath(path)] = resolvePath(baseDir, name);
        try {
          resolved = readFileSync(resolvePath(baseDir, name), 'utf8').trim();
        } catch (e) {
          fail(path, `cannot read secret file ${name} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
      if (resolved !== undefined) secrets.push(resolved);
      return resolved ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveReferences(v, [...path, i], fail, env, baseDir, secrets, files));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, [...path, k], fail, env, baseDir, secrets, files)]));
  }
  return value;
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function nodeAt(root: unknown, path: readonly (string | number)[]): Node | undefined {
  let node = root as Node | null | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
      // Point at the value when there is one, else at the key.
      node = (pair?.value ?? pair?.key) as Node | undefined;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] as Node | undefined;
    } else {
      return undefined;
    }
    if (!node) return undefined;
  }
  return node ?? undefined;
}

/** The node at the path, or its nearest existing ancestor (a missing key is reported at its parent). */
function nearestNode(root: unknown, path: readonly (string | number)[]): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAt(root, path.slice(0, n));
    if (node) return node;
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
