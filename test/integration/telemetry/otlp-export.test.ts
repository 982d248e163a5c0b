import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { telemetrySection } from '../../../src/config/sections/telemetry.js';
import { createTracing } from '../../../src/telemetry/tracing.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const DD_KEY = 'c1d2e3f4a5b60718293a4b5c6d7e8f90';

t.test('tracing: with otlp_endpoint the SDK exports the Check span over OTLP/HTTP, without secrets', async (t) => {
  const bodies: { path: string; contentType: string; body: Buffer }[] = [];
  const collector = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => collector.close(() => resolve())));
  const { port } = collector.address() as AddressInfo;

  const config = telemetrySection.parse({ otlp_endpoint: `http://127.0.0.1:${port}/v1/traces`, service_name: 'keyward-test' });
  const tracing = createTracing(config, { secrets: () => [DD_KEY] });
  t.equal(tracing.enabled, true);
  const span = tracing.startCheckSpan(`00-${TRACE_ID}-b7ad6b7169203331-01`, { subject: 'agent-7', connection: DD_KEY });
  span.end({ decision: 'deny', code: 'policy_denied', rule: 'no-destructive' });
  await tracing.shutdown();

  t.equal(bodies.length, 1);
  const sent = bodies[0]!;
  t.equal(sent.path, '/v1/traces');
  const text = sent.body.toString('utf8');
  // OTLP/JSON carries ids as hex; OTLP/protobuf as raw bytes. Accept either encoding.
  t.ok(text.includes(TRACE_ID) || sent.body.includes(Buffer.from(TRACE_ID, 'hex')), 'the exported span continues the incoming trace');
  t.ok(sent.body.includes(Buffer.from('keyward-test')), 'service name is the configured one');
  t.ok(sent.body.includes(Buffer.from('policy_denied')), 'the refusal code is an attribute');
  t.notOk(sent.body.includes(Buffer.from(DD_KEY)), 'no configured key in the export');
  t.notOk(sent.body.includes(Buffer.from('process.command_args')), 'no command line in the resource');
});
