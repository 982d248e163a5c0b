/**
 * Strict decoding of Envoy YAML into Envoy's own protos (from @grpc/grpc-js-xds/deps), the way Envoy
 * reads a bootstrap: every key must be a field of its message, every `typed_config` is resolved by its
 * `@type`, enums are spelled by name, well-known types use their JSON forms. protobufjs `fromObject`
 * ignores unknown keys, so the walk below checks each key against the message's fields first and only
 * hands protobufjs an object it has proven clean.
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import protobuf from 'protobufjs';
import type { Message, Type } from 'protobufjs';
import { parseDocument } from 'yaml';

export interface DecodeIssue {
  /** Where in the document, e.g. `static_resources.clusters[3].transport_socket.typed_config.sni`. */
  readonly path: string;
  readonly message: string;
}

export class StrictDecodeError extends Error {
  readonly issues: readonly DecodeIssue[];
  constructor(typeName: string, issues: DecodeIssue[]) {
    super(`not a valid ${typeName}:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.name = 'StrictDecodeError';
    this.issues = issues;
  }
}

export interface EnvoyProtoRegistry {
  /** A message type by full name; loads the .proto files of its package on first use. */
  messageType(fullName: string): Type | undefined;
}

const DEPS = resolve('node_modules/@grpc/grpc-js-xds/deps');
/** Envoy API, xDS, googleapis, PGV, and protobufjs's own google/protobuf/descriptor.proto. */
export const ENVOY_PROTO_DIRS: readonly string[] = [
  ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(DEPS, d)),
  resolve('node_modules/protobufjs'),
];

export function createEnvoyProtoRegistry(includeDirs: readonly string[] = ENVOY_PROTO_DIRS): EnvoyProtoRegistry {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  const loadedPackages = new Set<string>();
  const lookup = (fullName: string): Type | undefined => {
    const found = root.lookup(fullName);
    return found instanceof protobuf.Type ? found : undefined;
  };
  return {
    messageType(fullName) {
      const known = lookup(fullName);
      if (known) return known;
      // Package segments are lower-case; the first capitalised segment is the message.
      const segments = fullName.split('.');
      const firstType = segments.findIndex((s) => /^[A-Z]/.test(s));
      if (firstType <= 0) return undefined;
      const pkgDir = segments.slice(0, firstType).join('/');
      if (loadedPackages.has(pkgDir)) return undefined;
      loadedPackages.add(pkgDir);
      for (const dir of includeDirs) {
        const folder = join(dir, pkgDir);
        if (!existsSync(folder)) continue;
        for (const file of readdirSync(folder).filter((f) => f.endsWith('.proto')).sort()) {
          root.loadSync(join(pkgDir, file), { keepCase: true });
        }
      }
      root.resolveAll();
      return lookup(fullName);
    },
  };
}

let defaultRegistry: EnvoyProtoRegistry | undefined;
function registry(): EnvoyProtoRegistry {
  defaultRegistry ??= createEnvoyProtoRegistry();
  return defaultRegistry;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Issue = (path: string, message: string) => void;

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const WRAPPERS = new Set(['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((w) => `google.protobuf.${w}Value`));
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);
/** protobufjs's bundled well-known types use camelCase names even when .proto files keep their case. */
const fieldKey = (type: Type, snake: string) => (snake in type.fields ? snake : snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()));
const ruleOption = (options: Record<string, unknown> | undefined, name: string) => options?.[`(validate.rules).${name}`];

/**
 * Check `value` against message `typeName` strictly and decode it. Returns the protobufjs message and every
 * problem found (unknown fields, wrong scalar kinds, unknown enum names or `@type`s, two members of one
 * oneof, deprecated fields, and the PGV rules Envoy enforces most often: required messages and oneofs,
 * string min_len, repeated min_items).
 */
export function strictDecode(typeName: string, value: unknown, reg: EnvoyProtoRegistry = registry()): { message: Message | undefined; issues: DecodeIssue[] } {
  const issues: DecodeIssue[] = [];
  const issue: Issue = (path, message) => issues.push({ path, message });
  const type = reg.messageType(typeName);
  if (!type) return { message: undefined, issues: [{ path: '', message: `unknown message type ${typeName}` }] };
  const plain = convertMessage(type, value, '', issue, reg);
  if (issues.length > 0 || plain === undefined) return { message: undefined, issues };
  const message = type.fromObject(plain as Record<string, unknown>);
  const problem = type.verify(message);
  if (problem) return { message: undefined, issues: [{ path: '', message: problem }] };
  return { message: type.decode(type.encode(message).finish()), issues };
}

/** Parse YAML (duplicate keys are errors) and strictly decode it; throws StrictDecodeError listing every issue. */
export function decodeYamlStrict(text: string, typeName: string, reg?: EnvoyProtoRegistry): { document: Record<string, unknown>; message: Message } {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new StrictDecodeError(typeName, doc.errors.map((e) => ({ path: '', message: e.message.split('\n')[0] ?? 'YAML error' })));
  const document: unknown = doc.toJS();
  if (!isObject(document)) throw new StrictDecodeError(typeName, [{ path: '', message: 'the document is not a mapping' }]);
  const { message, issues } = strictDecode(typeName, document, reg);
  if (!message) throw new StrictDecodeError(typeName, issues);
  return { document, message };
}

function convertMessage(type: Type, value: unknown, path: string, issue: Issue, reg: EnvoyProtoRegistry): unknown {
  const special = convertWellKnown(type, value, path, issue, reg);
  if (special !== NOT_SPECIAL) return special;
  if (!isObject(value)) return issue(path, `expected a mapping for ${type.fullName.slice(1)}, got ${describe(value)}`);
  const out: Record<string, unknown> = {};
  const oneofSeen = new Map<string, string>();
  for (const [key, raw] of Object.entries(value)) {
    const here = at(path, key);
    const field = type.fields[key];
    if (!field) {
      issue(here, `unknown field "${key}" in ${type.fullName.slice(1)}`);
      continue;
    }
    field.resolve();
    if (field.options?.deprecated === true) issue(here, `field "${key}" of ${type.fullName.slice(1)} is deprecated`);
    if (raw === null || raw === undefined) {
      issue(here, 'null value (omit the key instead)');
      continue;
    }
    const oneof = field.partOf;
    if (oneof && !oneof.name.startsWith('_')) {
      const other = oneofSeen.get(oneof.name);
      if (other) issue(here, `"${key}" and "${other}" are both members of oneof ${oneof.name}`);
      oneofSeen.set(oneof.name, key);
    }
    if (field.map) {
      if (!isObject(raw)) issue(here, `expected a mapping, got ${describe(raw)}`);
      else out[key] = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, convertField(field, v, at(here, k), issue, reg)]));
    } else if (field.repeated) {
      if (!Array.isArray(raw)) issue(here, `expected a list, got ${describe(raw)}`);
      else {
        const minItems = ruleOption(field.options, 'repeated.min_items');
        if (typeof minItems === 'number' && raw.length < minItems) issue(here, `needs at least ${minItems} item(s)`);
        out[key] = raw.map((item, i) => convertField(field, item, at(here, i), issue, reg));
      }
    } else {
      out[key] = convertField(field, raw, here, issue, reg);
    }
  }
  for (const field of type.fieldsArray) {
    // A oneof member's `required` only constrains it when it is the member chosen.
    const inOneof = field.partOf !== null && field.partOf !== undefined && !field.partOf.name.startsWith('_');
    if (!inOneof && ruleOption(field.options, 'message.required') === true && !(field.name in value)) issue(at(path, field.name), `required field of ${type.fullName.slice(1)} is missing`);
  }
  for (const oneof of type.oneofsArray) {
    if (oneof.options?.['(validate.required)'] === true && !oneofSeen.has(oneof.name)) {
      issue(path, `one of ${oneof.oneof.join(', ')} is required in ${type.fullName.slice(1)}`);
    }
  }
  return out;
}

function convertField(field: protobuf.Field, raw: unknown, path: string, issue: Issue, reg: EnvoyProtoRegistry): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (typeof raw !== 'string' || !(raw in resolved.values)) return issue(path, `expected one of ${Object.keys(resolved.values).join(', ')}, got ${describe(raw)}`);
    return raw;
  }
  if (resolved instanceof protobuf.Type) return convertMessage(resolved, raw, path, issue, reg);
  const scalar = convertScalar(field.type, raw, path, issue);
  const minLen = ruleOption(field.options, 'string.min_len');
  if (typeof scalar === 'string' && typeof minLen === 'number' && scalar.length < minLen) issue(path, `must be at least ${minLen} character(s)`);
  return scalar;
}

function convertScalar(kind: string, raw: unknown, path: string, issue: Issue): unknown {
  switch (kind) {
    case 'string':
      return typeof raw === 'string' ? raw : issue(path, `expected a string, got ${describe(raw)}`);
    case 'bool':
      return typeof raw === 'boolean' ? raw : issue(path, `expected true or false, got ${describe(raw)}`);
    case 'double':
    case 'float':
      return typeof raw === 'number' ? raw : issue(path, `expected a number, got ${describe(raw)}`);
    case 'bytes':
      return typeof raw === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(raw) ? raw : issue(path, `expected base64 bytes, got ${describe(raw)}`);
    case 'int32':
    case 'sint32':
    case 'sfixed32':
    case 'uint32':
    case 'fixed32': {
      const unsigned = kind === 'uint32' || kind === 'fixed32';
      const ok = typeof raw === 'number' && Number.isInteger(raw) && (unsigned ? raw >= 0 && raw <= 0xffffffff : raw >= -0x80000000 && raw <= 0x7fffffff);
      return ok ? raw : issue(path, `expected a ${kind}, got ${describe(raw)}`);
    }
    default: {
      // 64-bit integers: a JSON number or a decimal string.
      const unsigned = kind.startsWith('u') || kind === 'fixed64';
      const text = typeof raw === 'number' && Number.isInteger(raw) ? String(raw) : typeof raw === 'string' ? raw : '';
      return (unsigned ? /^\d+$/ : /^-?\d+$/).test(text) ? text : issue(path, `expected a ${kind}, got ${describe(raw)}`);
    }
  }
}

const NOT_SPECIAL = Symbol('not a well-known type');

function convertWellKnown(type: Type, value: unknown, path: string, issue: Issue, reg: EnvoyProtoRegistry): unknown {
  const name = type.fullName.slice(1);
  if (WRAPPERS.has(name)) {
    const inner = type.fields.value;
    return inner ? { value: convertScalar(inner.type, value, path, issue) } : issue(path, `malformed wrapper ${name}`);
  }
  switch (name) {
    case 'google.protobuf.Duration': {
      const m = typeof value === 'string' ? DURATION.exec(value) : null;
      if (!m) return issue(path, `expected a duration like "1.5s", got ${describe(value)}`);
      const sign = m[1] ? -1 : 1;
      return { seconds: String(sign * Number(m[2])), nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) };
    }
    case 'google.protobuf.Timestamp': {
      const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (Number.isNaN(ms)) return issue(path, `expected an RFC 3339 timestamp, got ${describe(value)}`);
      return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
    }
    case 'google.protobuf.Struct':
      return isObject(value) ? { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v as Json, at(path, k), issue, reg)])) } : issue(path, `expected a mapping, got ${describe(value)}`);
    case 'google.protobuf.Value':
      return jsonValue(value as Json, path, issue, reg);
    case 'google.protobuf.ListValue':
      return Array.isArray(value) ? { values: value.map((v, i) => jsonValue(v as Json, at(path, i), issue, reg)) } : issue(path, `expected a list, got ${describe(value)}`);
    case 'google.protobuf.Empty':
      return isObject(value) && Object.keys(value).length === 0 ? {} : issue(path, 'expected {}');
    case 'google.protobuf.FieldMask':
      return typeof value === 'string' ? { paths: value.split(',').filter(Boolean) } : issue(path, `expected a comma-separated field mask, got ${describe(value)}`);
    case 'google.protobuf.Any':
      return convertAny(type, value, path, issue, reg);
    default:
      return NOT_SPECIAL;
  }
}

function jsonValue(value: Json, path: string, issue: Issue, reg: EnvoyProtoRegistry): unknown {
  const valueType = reg.messageType('google.protobuf.Value');
  if (!valueType) return issue(path, 'google.protobuf.Value is not loaded');
  const k = (snake: string) => fieldKey(valueType, snake);
  if (value === null) return { [k('null_value')]: 'NULL_VALUE' };
  if (typeof value === 'number') return { [k('number_value')]: value };
  if (typeof value === 'string') return { [k('string_value')]: value };
  if (typeof value === 'boolean') return { [k('bool_value')]: value };
  if (Array.isArray(value)) return { [k('list_value')]: { values: value.map((v, i) => jsonValue(v, at(path, i), issue, reg)) } };
  if (isObject(value)) return { [k('struct_value')]: { fields: Object.fromEntries(Object.entries(value).map(([key, v]) => [key, jsonValue(v, at(path, key), issue, reg)])) } };
  return issue(path, `not a JSON value: ${describe(value)}`);
}

function convertAny(anyType: Type, value: unknown, path: string, issue: Issue, reg: EnvoyProtoRegistry): unknown {
  if (!isObject(value)) return issue(path, `expected a mapping with "@type", got ${describe(value)}`);
  const url = value['@type'];
  if (typeof url !== 'string' || !url.startsWith(TYPE_URL_PREFIX)) return issue(at(path, '@type'), `expected "${TYPE_URL_PREFIX}<message>", got ${describe(url)}`);
  const inner = reg.messageType(url.slice(TYPE_URL_PREFIX.length));
  if (!inner) return issue(at(path, '@type'), `unknown type ${url}`);
  const { '@type': _drop, ...rest } = value;
  // A well-known type inside Any carries its JSON form under "value".
  const isWellKnown = inner.fullName.startsWith('.google.protobuf.');
  const before = { count: 0 };
  const counted: Issue = (p, m) => {
    before.count += 1;
    issue(p, m);
  };
  const plain = isWellKnown ? convertMessage(inner, rest.value, at(path, 'value'), counted, reg) : convertMessage(inner, rest, path, counted, reg);
  if (before.count > 0 || plain === undefined) return undefined;
  const bytes = inner.encode(inner.fromObject(plain as Record<string, unknown>)).finish();
  return { [fieldKey(anyType, 'type_url')]: url, value: bytes };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
