import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { keywardSchema, type KeywardConfigData } from './schema.js';

/** A validated, resolved, frozen configuration, plus what the gate needs to know about it. */
export type KeywardConfig = Readonly<KeywardConfigData> & {
  /** Short content hash; recorded with every decision so an auditor knows which policy decided. */
  readonly version: string;
  /** Path of the file it came from, or "<inline>". */
  readonly source: string;
  /** Every value that came from a ${env:} or ${file:} reference, and every secret field written inline: never to be logged or stored. */
  readonly secrets: readonly string[];
  /** Not errors, but worth an operator's attention (secrets written inline). */
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
  return parseConfig(text, path, { baseDir: dirname(resolvePath(path)), ...options });
}

/** parse → resolve references → validate → freeze. Throws ConfigError listing every problem with its line. */
export function parseConfig(text: string, source = '<inline>', options: LoadOptions = {}): KeywardConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => (offset === undefined ? {} : { line: lineCounter.linePos(offset).line, column: lineCounter.linePos(offset).col });

  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => ({ path: '', ...at(e.pos[0]), message: e.message.split('\n')[0]! })));
  }
  const raw: unknown = doc.toJS() ?? {};
  const secrets: string[] = [];
  const refIssues: ConfigIssue[] = [];
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  const resolved = resolveReferences(raw, [], (path, message) => refIssues.push({ path: formatPath(path), ...at(nodeAt(doc.contents, path)?.range?.[0]), message }), env, baseDir, secrets);
  if (refIssues.length > 0) throw new ConfigError(source, refIssues);

  const result = keywardSchema.safeParse(resolved);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => {
        const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
        return { path: formatPath(path), ...at(nearestNode(doc.contents, path)?.range?.[0]), message: issue.message };
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
  return deepFreeze({ ...result.data, version, source, secrets: secrets.filter((s) => s.length > 0), warnings });
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
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(REF, (_m, kind: string, name: string) => {
      let resolved: string | undefined;
      if (kind === 'env') {
        resolved = env[name];
        if (resolved === undefined) fail(path, `environment variable ${name} is not set`);
      } else {
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
  if (Array.isArray(value)) return value.map((v, i) => resolveReferences(v, [...path, i], fail, env, baseDir, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, [...path, k], fail, env, baseDir, secrets)]));
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
