/**
 * The realistic agent: the official Datadog client pointed at the gate. Every API (and the logs and
 * event intakes, which the client sends to other hosts by default) goes to the front door's one base
 * URL via `baseServer`; the agent's OIDC token rides on every request as `Authorization: Bearer`,
 * added by an HttpLibrary that wraps the client's own fetch library. No Datadog key is configured.
 */
import { client, v1, v2 } from '@datadog/datadog-api-client';

type RequestContext = Parameters<client.HttpLibrary['send']>[0];

/**
 * The client's own fetch library with the token (and any extra headers) set first. A subclass, not a
 * wrapper: createConfiguration sets enableRetry / maxRetries / backoff on the library it is given, and
 * the retry loop (executeRequest) reads them from `this`.
 */
class BearerHttpLibrary extends client.IsomorphicFetchHttpLibrary {
  constructor(
    private readonly bearer: () => Promise<string> | string,
    private readonly extra: AgentOptions,
  ) {
    super();
  }
  override async send(request: RequestContext) {
    request.setHeaderParam('Authorization', await this.bearer());
    for (const [k, v] of Object.entries(this.extra.headers ?? {})) request.setHeaderParam(k, v);
    for (const [k, v] of Object.entries(this.extra.query ?? {})) request.setQueryParam(k, v, '');
    return super.send(request);
  }
}

export interface Agent {
  metrics: v2.MetricsApi;
  logs: v2.LogsApi;
  monitors: v1.MonitorsApi;
  auth: v1.AuthenticationApi;
  dashboards: v1.DashboardsApi;
}

export interface AgentOptions {
  /** Extra headers on every request (e.g. a key the agent should not be sending). */
  headers?: Record<string, string>;
  /** Extra query parameters on every request (legacy `api_key=` placement). */
  query?: Record<string, string>;
  /** How the client compresses a `zstd1` body (it ships no zstd of its own). */
  zstd?: (body: string) => Uint8Array;
  /** The client's own key settings: an agent that still holds a Datadog key. */
  authMethods?: client.AuthMethodsConfiguration;
  /** The client's own retry of 429 and 5xx (waiting x-ratelimit-reset seconds); off by default. */
  enableRetry?: boolean;
  maxRetries?: number;
}

export function datadogAgent(baseUrl: string, bearer: () => Promise<string> | string, options: AgentOptions = {}): Agent {
  const configuration = client.createConfiguration({
    baseServer: new client.BaseServerConfiguration(baseUrl, {}),
    httpApi: new BearerHttpLibrary(bearer, options),
    authMethods: options.authMethods ?? {},
    // createConfiguration sets the library's zstd callback from its own option (undefined otherwise).
    ...(options.zstd ? { zstdCompressorCallback: (body: string) => Buffer.from(options.zstd!(body)) } : {}),
    enableRetry: options.enableRetry ?? false,
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
  });
  return {
    metrics: new v2.MetricsApi(configuration),
    logs: new v2.LogsApi(configuration),
    monitors: new v1.MonitorsApi(configuration),
    auth: new v1.AuthenticationApi(configuration),
    dashboards: new v1.DashboardsApi(configuration),
  };
}

/** What the client throws for a non-2xx answer: status and parsed body. */
export async function refusal(p: Promise<unknown>): Promise<{ code: number; body: unknown }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof client.ApiException) return { code: e.code, body: parsedBody(e.body as unknown) };
    throw e;
  }
  throw new Error('expected the call to be refused');
}

/**
 * For a status its OpenAPI spec does not list (503 for series), the client throws the text
 * `Unknown API Status Code!\nBody: "<body>"`; take the JSON back out so tests can read keyward's error.
 */
function parsedBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  const m = /^Unknown API Status Code!\nBody: "([\s\S]*)"$/.exec(body);
  try {
    return JSON.parse(m ? m[1]! : body) as unknown;
  } catch {
    return body;
  }
}

const now = () => Math.floor(Date.now() / 1000);

export function seriesPayload(metric: string, value = 1): v2.MetricPayload {
  return { series: [{ metric, type: 0, points: [{ timestamp: now(), value }], tags: ['env:test'] }] };
}

export { until } from '../helpers/wait.js';
