import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetector, hostDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from '../config/sections/telemetry.js';
import type { ProcPhaseLabel } from './metrics.js';
import { toSpanAttributes, type SpanFields } from './span-attributes.js';

export type { SpanFields } from './span-attributes.js';

export interface TracingOptions {
  /** An extra exporter fed span by span (tests pass an InMemorySpanExporter). */
  exporter?: SpanExporter;
  /** Configured secret values (Datadog keys, HMAC keys): never written into an attribute. */
  secrets?: () => readonly string[];
}

/** One span: a Check, or one ext_proc stream. All methods are no-ops when tracing is off. */
export interface TelemetrySpan {
  /** 32 hex chars, or '' when tracing is off. */
  readonly traceId: string;
  /** This span as a W3C `traceparent` (to hand to ext_proc in dynamic metadata), or undefined when off. */
  readonly traceparent: string | undefined;
  set(fields: SpanFields): void;
  /** Ends the span; decision `error` marks it failed with the code as its status message. */
  end(fields?: SpanFields): void;
}

export interface ProcStreamSpan extends TelemetrySpan {
  /** One event per ext_proc message answered. */
  phase(phase: ProcPhaseLabel, fields?: Pick<SpanFields, 'findings' | 'duration_ms' | 'code'>): void;
}

export interface Tracing {
  /** True when spans are recorded (an OTLP endpoint or an exporter is configured). */
  readonly enabled: boolean;
  /** A server span for one Check, child of the incoming `traceparent` when it is valid. */
  startCheckSpan(traceparent: string | undefined, fields?: SpanFields): TelemetrySpan;
  /** A server span for one ext_proc stream, child of the incoming `traceparent` when it is valid. */
  startProcSpan(traceparent: string | undefined, fields?: SpanFields): ProcStreamSpan;
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

const NOOP_SPAN: ProcStreamSpan = Object.freeze({ traceId: '', traceparent: undefined, set() {}, end() {}, phase() {} });
const noSecrets = () => [] as const;

/**
 * Tracing from the `telemetry` config section. With `otlp_endpoint`, the OpenTelemetry Node SDK is
 * started (process-wide: one gate per process in production) with an OTLP/HTTP batch exporter;
 * only the environment and host resource detectors run (the process detector would copy the
 * command line into every span). With only `options.exporter`, a private provider is used and
 * nothing global is touched. With neither, every span is a shared no-op: zero cost on the hot path.
 */
export function createTracing(config: TelemetryConfig, options: TracingOptions = {}): Tracing {
  const secrets = options.secrets ?? noSecrets;
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
  if (processors.length === 0 && !config.otlp_endpoint) {
    return { enabled: false, startCheckSpan: () => NOOP_SPAN, startProcSpan: () => NOOP_SPAN, shutdown: async () => {} };
  }

  let tracer: Tracer;
  let stop: () => Promise<void>;
  if (config.otlp_endpoint) {
    processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: config.otlp_endpoint }) }));
    const sdk = new NodeSDK({
      serviceName: config.service_name,
      spanProcessors: processors,
      instrumentations: [],
      resourceDetectors: [envDetector, hostDetector],
    });
    sdk.start();
    tracer = trace.getTracer('keyward');
    stop = () => sdk.shutdown();
  } else {
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': config.service_name }), spanProcessors: processors });
    tracer = provider.getTracer('keyward');
    stop = () => provider.shutdown();
  }

  const start = (name: string, traceparent: string | undefined, fields: SpanFields): Span =>
    tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: toSpanAttributes(fields, secrets) }, parentContext(traceparent));

  return {
    enabled: true,
    startCheckSpan: (traceparent, fields = {}) => wrap(start('keyward.check', traceparent, fields), secrets),
    startProcSpan: (traceparent, fields = {}) => wrap(start('keyward.ext_proc', traceparent, fields), secrets),
    shutdown: stop,
  };
}

/** The remote parent of a W3C `traceparent`, or the root context when absent or malformed. */
function parentContext(traceparent: string | undefined): Context {
  const parent = traceparent ? parseTraceParent(traceparent.trim()) : null;
  return parent ? trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true }) : ROOT_CONTEXT;
}

function wrap(span: Span, secrets: () => readonly string[]): ProcStreamSpan {
  const ctx = span.spanContext();
  let ended = false;
  return {
    traceId: ctx.traceId,
    traceparent: `00-${ctx.traceId}-${ctx.spanId}-0${ctx.traceFlags & 1}`,
    set: (fields) => void span.setAttributes(toSpanAttributes(fields, secrets)),
    phase: (phase, fields = {}) => void span.addEvent(phase, toSpanAttributes(fields, secrets)),
    end(fields = {}) {
      if (ended) return;
      ended = true;
      span.setAttributes(toSpanAttributes(fields, secrets));
      if (fields.decision === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: fields.code ?? 'error' });
      span.end();
    },
  };
}
