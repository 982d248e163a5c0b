import { z } from 'zod';

/** `telemetry`: traces (OTLP, off unless an endpoint is given) and the Prometheus `/metrics` route. */
export const telemetrySection = z
  .object({
    /**
     * OTLP/HTTP traces endpoint, e.g. `http://otel-collector:4318/v1/traces`. Absent → no span is
     * exported (spans are not even recorded). The standard OTEL_* variables still tune the exporter.
     */
    otlp_endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** `service.name` of the exported spans. */
    service_name: z.string().min(1).default('keyward'),
    /** Serve Prometheus text on the admin listener at `GET /metrics`. */
    metrics: z.boolean().default(true),
  })
  .strict();

export type TelemetryConfig = z.output<typeof telemetrySection>;
