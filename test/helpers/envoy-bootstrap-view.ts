/**
 * Small readers over a decoded bootstrap document (plain YAML data, already proven to be a valid Bootstrap by
 * strictDecode), so tests read as the invariant they check rather than as casts.
 */
export type Node = Record<string, unknown>;

export const obj = (value: unknown): Node => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : {});
export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** "30s" → 30; anything else → NaN. */
export function seconds(value: unknown): number {
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
  return m ? Number(m[1]) : Number.NaN;
}

/** The HttpConnectionManager of the first listener's first filter chain. */
export function connectionManager(bootstrap: Node): Node {
  const listener = obj(list(obj(bootstrap.static_resources).listeners)[0]);
  return obj(obj(list(obj(list(listener.filter_chains)[0]).filters)[0]).typed_config);
}

/** The typed_config of the named HTTP filter. */
export function httpFilter(hcm: Node, name: string): Node {
  return obj(obj(list(hcm.http_filters).map(obj).find((f) => f.name === name)).typed_config);
}

export function routesOf(hcm: Node): Node[] {
  return list(obj(hcm.route_config).virtual_hosts).flatMap((vh) => list(obj(vh).routes).map(obj));
}

export function clustersOf(bootstrap: Node): Map<string, Node> {
  return new Map(list(obj(bootstrap.static_resources).clusters).map((c) => [String(obj(c).name), obj(c)]));
}
