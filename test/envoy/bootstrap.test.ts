import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { envoyCommand, renderEnvoyConfig, type EnvoyBootstrapOptions } from '../../src/cli/envoy.js';
import { ACCESS_LOG_FIELDS, AUTHZ_CLUSTER, DEFAULT_APPROVAL_HOLD_SECONDS, HEALTH_SERVICES, PROC_CLUSTER } from '../../src/envoy/bootstrap.js';
import { clusterName, DATADOG_SITES, siteHost } from '../../src/config/sites.js';
import { EXT_AUTHZ_NAMESPACE } from '../../src/envoy/contract.js';
import { CLUSTER_HEADER, REQUEST_ID_HEADER } from '../../src/envoy/contract.js';
import { decodeYamlStrict, StrictDecodeError } from '../helpers/envoy-proto.js';
import { clustersOf, connectionManager, httpFilter, list, obj, routesOf, seconds } from '../helpers/envoy-bootstrap-view.js';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const ROLES = ['api', 'logs', 'events'] as const;

/** Every bootstrap the repository ships, and the rendering it must equal. */
const SHIPPED: ReadonlyArray<{ file: string; options: EnvoyBootstrapOptions; authz: string; proc: string }> = [
  { file: 'envoy/envoy.yaml', options: {}, authz: '127.0.0.1:9001', proc: '127.0.0.1:9002' },
  { file: 'envoy/envoy.compose.yaml', options: { authz: 'keyward:9001', proc: 'keyward:9002' }, authz: 'keyward:9001', proc: 'keyward:9002' },
];

for (const shipped of SHIPPED) {
  const text = readFileSync(shipped.file, 'utf8');

  t.test(`envoy: ${shipped.file} is exactly what keyward envoy render produces`, async (t) => {
    const rendered = renderEnvoyConfig(shipped.options);
    if (process.env.KEYWARD_UPDATE_ENVOY === '1' && rendered !== text) writeFileSync(shipped.file, rendered);
    t.equal(text, rendered, `regenerate with KEYWARD_UPDATE_ENVOY=1 npx tap ${'test/envoy/bootstrap.test.ts'}`);
  });

  t.test(`envoy: ${shipped.file} decodes strictly into ${BOOTSTRAP} and keeps the gate's invariants`, async (t) => {
    const { document, message } = decodeYamlStrict(text, BOOTSTRAP);
    t.ok(message, 'decoded, every typed_config resolved by its @type');
    const hcm = connectionManager(document);
    const clusters = clustersOf(document);

    t.test('filter order ext_authz → ext_proc → router', async (t) => {
      t.same(list(hcm.http_filters).map((f) => obj(f).name), ['envoy.filters.http.ext_authz', 'envoy.filters.http.ext_proc', 'envoy.filters.http.router']);
    });

    t.test('ext_authz: gRPC V3, fail closed, 503 on error, timeout above the approval hold, body sent', async (t) => {
      const authz = httpFilter(hcm, 'envoy.filters.http.ext_authz');
      t.equal(authz['@type'], 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz');
      t.equal(authz.failure_mode_allow, false, 'failure_mode_allow written out as false');
      t.equal(authz.transport_api_version, 'V3');
      t.same(authz.status_on_error, { code: 'ServiceUnavailable' });
      const grpc = obj(authz.grpc_service);
      t.equal(obj(grpc.envoy_grpc).cluster_name, AUTHZ_CLUSTER);
      t.ok(seconds(grpc.timeout) > DEFAULT_APPROVAL_HOLD_SECONDS, `timeout ${String(grpc.timeout)} > hold ${DEFAULT_APPROVAL_HOLD_SECONDS}s`);
      const body = obj(authz.with_request_body);
      t.ok(Number(body.max_request_bytes) >= 1024 * 1024, 'at least 1 MiB of body');
      t.equal(body.allow_partial_message, true);
      t.equal(body.pack_as_bytes, true);
    });

    t.test('ext_proc: fail closed, mode override, bounded message timeouts, ext_authz metadata forwarded', async (t) => {
      const proc = httpFilter(hcm, 'envoy.filters.http.ext_proc');
      t.equal(proc['@type'], 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor');
      t.equal(proc.failure_mode_allow, false);
      t.equal(proc.allow_mode_override, true);
      t.equal(obj(obj(proc.grpc_service).envoy_grpc).cluster_name, PROC_CLUSTER);
      t.match(proc.processing_mode, { request_header_mode: 'SEND', response_header_mode: 'SEND', request_body_mode: 'NONE', response_body_mode: 'NONE' });
      t.ok(seconds(proc.max_message_timeout) >= seconds(proc.message_timeout), 'max_message_timeout ≥ message_timeout');
      t.ok(seconds(proc.message_timeout) > 2, 'message_timeout above the audit commit deadline (2s)');
      t.ok(list(obj(obj(proc.metadata_options).forwarding_namespaces).untyped).includes(EXT_AUTHZ_NAMESPACE));
    });

    t.test('routes: cluster chosen by the header ext_proc sets, host rewritten, fail closed without it', async (t) => {
      const routes = routesOf(hcm);
      const forwarding = routes.filter((r) => r.route !== undefined);
      t.ok(forwarding.length > 0);
      for (const r of forwarding) {
        const action = obj(r.route);
        t.equal(action.cluster_header, CLUSTER_HEADER, `${String(r.name)} picks the cluster from ${CLUSTER_HEADER}`);
        t.equal(action.auto_host_rewrite, true, `${String(r.name)} rewrites the host to the Datadog host`);
        t.ok(list(obj(r.match).headers).some((h) => obj(h).name === CLUSTER_HEADER && obj(h).present_match === true), 'only when the header is present');
        t.ok(list(r.request_headers_to_remove).includes(CLUSTER_HEADER), 'routing header not sent to Datadog');
        t.ok(list(r.request_headers_to_remove).includes('authorization'), 'agent token not sent to Datadog');
      }
      const last = routes.at(-1) ?? {};
      t.equal(last.route, undefined, 'the last route forwards nowhere');
      t.match(last.match, { prefix: '/' });
      const direct = obj(last.direct_response);
      t.equal(direct.status, 503);
      t.match(JSON.parse(String(obj(direct.body).inline_string)), { error: { code: String, message: String } });
      const mutation = list(hcm.early_header_mutation_extensions).map((e) => obj(obj(e).typed_config));
      t.ok(mutation.some((m) => list(m.mutations).some((x) => obj(x).remove === CLUSTER_HEADER)), 'an agent cannot choose the cluster');
    });

    t.test('retries only for idempotent methods', async (t) => {
      for (const r of routesOf(hcm)) {
        const policy = r.route === undefined ? undefined : obj(r.route).retry_policy;
        if (policy === undefined) continue;
        const methodMatch = list(obj(r.match).headers).map(obj).find((h) => h.name === ':method');
        t.same(methodMatch?.string_match, { safe_regex: { regex: '^(GET|HEAD)$' } }, `${String(r.name)} retries only GET/HEAD`);
        t.same(list(obj(policy).retriable_request_headers), [{ name: ':method', string_match: { safe_regex: { regex: '^(GET|HEAD)$' } } }]);
      }
      t.ok(routesOf(hcm).some((r) => r.route !== undefined && obj(r.route).retry_policy === undefined), 'a route without retries for the others');
    });

    t.test('one TLS cluster per Datadog host of every site, SNI and SAN = the host', async (t) => {
      for (const site of DATADOG_SITES) {
        for (const role of ROLES) {
          const name = clusterName(site, role);
          const host = siteHost(site, role);
          const cluster = clusters.get(name);
          if (!t.ok(cluster, `cluster ${name}`) || !cluster) continue;
          t.ok(['STRICT_DNS', 'LOGICAL_DNS'].includes(String(cluster.type)));
          const endpoint = obj(obj(list(obj(list(obj(cluster.load_assignment).endpoints)[0]).lb_endpoints)[0]).endpoint);
          t.same(obj(endpoint.address).socket_address, { address: host, port_value: 443 });
          const tls = obj(obj(cluster.transport_socket).typed_config);
          t.equal(tls['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
          t.equal(tls.sni, host);
          const validation = obj(obj(tls.common_tls_context).validation_context);
          t.ok(obj(validation.trusted_ca).filename, 'verified against a CA bundle');
          t.same(validation.match_typed_subject_alt_names, [{ san_type: 'DNS', matcher: { exact: host } }]);
        }
      }
      t.equal(clusters.size, DATADOG_SITES.length * ROLES.length + 2, 'nothing else');
    });

    t.test('keyward clusters: HTTP/2, gRPC health checks, addresses as configured', async (t) => {
      for (const [name, address] of [[AUTHZ_CLUSTER, shipped.authz], [PROC_CLUSTER, shipped.proc]] as const) {
        const cluster = clusters.get(name);
        if (!t.ok(cluster, name) || !cluster) continue;
        const options = obj(obj(cluster.typed_extension_protocol_options)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']);
        t.ok(obj(options.explicit_http_config).http2_protocol_options, `${name} speaks HTTP/2`);
        t.equal(options['@type'], 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', 'keyed by its own type name');
        t.same(list(cluster.health_checks).map((h) => obj(h).grpc_health_check), [{ service_name: HEALTH_SERVICES[name] }]);
        const socket = obj(obj(obj(obj(list(obj(list(obj(cluster.load_assignment).endpoints)[0]).lb_endpoints)[0]).endpoint).address).socket_address);
        t.equal(`${String(socket.address)}:${String(socket.port_value)}`, address);
      }
    });

    t.test('access log: JSON on stdout, no credential header, no path or query', async (t) => {
      const logs = list(hcm.access_log).map((l) => obj(obj(l).typed_config));
      t.equal(logs.length, 1);
      const format = obj(obj(logs[0]?.log_format).json_format);
      t.same(format, ACCESS_LOG_FIELDS);
      t.equal(format.keyward_request_id, `%RESP(${REQUEST_ID_HEADER.toUpperCase()})%`, 'each line carries the id audit rows are keyed by');
      const operators = Object.values(format).flatMap((v) => [...String(v).matchAll(/%([A-Z_]+)(?:\(([^)]*)\))?/g)]);
      for (const [, op, arg] of operators) {
        const header = (arg ?? '').toLowerCase();
        t.notOk(/authorization|cookie|api[-_]?key|application[-_]?key|^dd-|:path|original-path/.test(header), `%${op}(${arg ?? ''})% logs nothing secret`);
        t.notOk(['REQ_WITHOUT_QUERY', 'PATH', 'DYNAMIC_METADATA', 'FILTER_STATE'].includes(String(op)), `%${op}% is not logged`);
      }
    });
  });
}

function issuesOf(text: string): string[] {
  try {
    decodeYamlStrict(text, BOOTSTRAP);
    return [];
  } catch (e) {
    return e instanceof StrictDecodeError ? e.issues.map((i) => `${i.path}: ${i.message}`) : [String(e)];
  }
}

t.test('envoy: the strict decoder fails on a typo, a wrong kind, an unknown @type, a deprecated field', async (t) => {
  const text = readFileSync('envoy/envoy.yaml', 'utf8');
  const cases: Array<[string, string, string, RegExp]> = [
    ['misspelt field', 'failure_mode_allow: false', 'failure_mode_alow: false', /unknown field "failure_mode_alow" in envoy\.extensions\.filters\.http\.ext_authz\.v3\.ExtAuthz/],
    ['unknown @type', 'ext_proc.v3.ExternalProcessor', 'ext_proc.v3.ExternalProcesor', /unknown type type\.googleapis\.com\/envoy\.extensions\.filters\.http\.ext_proc\.v3\.ExternalProcesor/],
    ['unknown enum name', 'request_body_mode: NONE', 'request_body_mode: BUFERED', /expected one of NONE, STREAMED, BUFFERED/],
    ['duration without unit', 'max_message_timeout: 10s', 'max_message_timeout: 10', /expected a duration like "1\.5s"/],
    ['wrapper of the wrong kind', 'per_connection_buffer_limit_bytes: 8388608', 'per_connection_buffer_limit_bytes: lots', /expected a uint32/],
    ['two members of a oneof', 'prefix: /', 'prefix: /\n                            path: /x', /both members of oneof path_specifier/],
    ['deprecated field', 'connect_timeout: 1s', 'connect_timeout: 1s\n      http2_protocol_options: {}', /is deprecated/],
    ['an empty required string', 'cluster_name: keyward_proc\n', 'cluster_name: ""\n', /at least 1 character/],
  ];
  for (const [what, from, to, expected] of cases) {
    t.ok(text.includes(from), `${what}: fixture text present`);
    const issues = issuesOf(text.replace(from, to));
    t.ok(issues.some((i) => expected.test(i)), `${what} is refused: ${issues.join(' | ')}`);
  }
  t.throws(() => decodeYamlStrict(`${text}\nadmin: {}\n`, BOOTSTRAP), StrictDecodeError, 'duplicate keys refused');
});

t.test('envoy render: options shape the bootstrap, nonsense is refused', async (t) => {
  const { document } = decodeYamlStrict(renderEnvoyConfig({ sites: ['datadoghq.eu'], listen: '127.0.0.1:10000' }), BOOTSTRAP);
  const names = [...clustersOf(document).keys()].sort();
  t.same(names, [AUTHZ_CLUSTER, 'dd_api_datadoghq_eu', 'dd_events_datadoghq_eu', 'dd_logs_datadoghq_eu', PROC_CLUSTER].sort());
  t.throws(() => renderEnvoyConfig({ authzTimeout: '20s' }), TypeError, 'an authz timeout under the hold is refused');
  t.throws(() => renderEnvoyConfig({ authz: 'keyward' }), TypeError, 'an address without a port is refused');
  t.throws(() => renderEnvoyConfig({ sites: [] }), TypeError, 'no sites is refused');
});

t.test('envoy render: the command writes the file an operator asked for and refuses an unknown site', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-envoy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'envoy.yaml');
  const options = { authz: 'gate.internal:9001', proc: 'gate.internal:9002', sites: ['datadoghq.eu'] as const };
  await envoyCommand().parseAsync(['render', '--sites', 'datadoghq.eu', '--authz', options.authz, '--proc', options.proc, '--out', out], { from: 'user' });
  t.equal(readFileSync(out, 'utf8'), renderEnvoyConfig({ ...options, sites: [...options.sites] }));
  t.match(readFileSync(out, 'utf8'), /^# {3}keyward envoy render --sites datadoghq\.eu --authz gate\.internal:9001 --proc gate\.internal:9002$/m, 'the header says how to reproduce it');

  const refusing = envoyCommand();
  let stderr = '';
  for (const cmd of [refusing, ...refusing.commands]) cmd.exitOverride().configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
  const exitCodeOf = (args: string[]) => refusing.parseAsync(args, { from: 'user' }).then(() => 0, (e: { exitCode?: number }) => e.exitCode);
  t.equal(await exitCodeOf(['render', '--sites', 'datadoghq.moon']), 2, 'a usage error, like a bad address');
  t.match(stderr, /unknown Datadog site "datadoghq\.moon"/);
  t.equal(await exitCodeOf(['render', '--authz', 'nowhere']), 2);
  t.equal(await exitCodeOf(['render', '--out', join(dir, 'missing', 'envoy.yaml')]), 1);
  t.match(stderr, /error: cannot write .*missing\/envoy\.yaml \(ENOENT\)/, 'a clear error, not a stack trace');

  // `all` is what --help names as the default.
  const all = join(dir, 'all.yaml');
  await envoyCommand().parseAsync(['render', '--sites', 'all', '--out', all], { from: 'user' });
  t.equal(readFileSync(all, 'utf8'), renderEnvoyConfig({}));
});

t.test('envoy render: mTLS to keyward on network clusters, pipe addresses for unix sockets', async (t) => {
  const tls = decodeYamlStrict(renderEnvoyConfig({}), BOOTSTRAP).document as { static_resources: { clusters: { name: string; transport_socket?: { typed_config: Record<string, unknown> }; load_assignment: unknown }[] } };
  for (const name of ['keyward_authz', 'keyward_proc']) {
    const c = tls.static_resources.clusters.find((x) => x.name === name)!;
    t.match(c.transport_socket?.typed_config, { sni: 'keyward', common_tls_context: { tls_certificates: [{ certificate_chain: { filename: '/etc/envoy/keyward-tls/envoy.crt' } }], validation_context: { trusted_ca: { filename: '/etc/envoy/keyward-tls/ca.crt' }, match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'keyward' } }] } } }, `${name}: client certificate, SNI, SAN match`);
  }
  const sidecar = decodeYamlStrict(renderEnvoyConfig({ authz: 'unix:///run/keyward/authz.sock', proc: 'unix:///run/keyward/proc.sock' }), BOOTSTRAP).document as typeof tls;
  const authz = sidecar.static_resources.clusters.find((x) => x.name === 'keyward_authz')!;
  t.match(JSON.stringify(authz.load_assignment), /"pipe":\{"path":"\/run\/keyward\/authz.sock"\}/);
  t.equal(authz.transport_socket, undefined, 'a Unix socket needs no TLS');
  const plain = decodeYamlStrict(renderEnvoyConfig({ keywardTls: null }), BOOTSTRAP).document as typeof tls;
  t.equal(plain.static_resources.clusters.find((x) => x.name === 'keyward_proc')!.transport_socket, undefined, '--keyward-plaintext');
});
