/**
 * Test-side OTLP/HTTP logs decoding, independent of keyward's encoder: protobuf through protobufjs
 * with the message definitions of opentelemetry-proto (the fields a logs export uses), JSON as is.
 */
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package otlp;
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message LogRecord {
  fixed64 time_unix_nano = 1; fixed64 observed_time_unix_nano = 11; int32 severity_number = 2; string severity_text = 3;
  AnyValue body = 5; repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7; fixed32 flags = 8;
  bytes trace_id = 9; bytes span_id = 10; string event_name = 12;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const Request = protobuf.parse(PROTO, { keepCase: false }).root.lookupType('otlp.ExportLogsServiceRequest');

export type OtlpScalar = string | number | boolean;

export interface DecodedLogRecord {
  readonly timeUnixNano: string;
  readonly observedTimeUnixNano: string;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: OtlpScalar;
  readonly attributes: Record<string, OtlpScalar>;
}

export interface DecodedLogs {
  readonly resource: Record<string, OtlpScalar>;
  readonly scopeNames: string[];
  readonly records: DecodedLogRecord[];
}

type JsonAnyValue = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number };
type JsonKeyValue = { key: string; value: JsonAnyValue };
interface JsonRequest {
  resourceLogs: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeLogs: { scope?: { name?: string }; logRecords: { timeUnixNano: string | number; observedTimeUnixNano: string | number; severityNumber: number; severityText: string; body: JsonAnyValue; attributes?: JsonKeyValue[] }[] }[];
  }[];
}

function scalar(v: JsonAnyValue): OtlpScalar {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  throw new Error(`unexpected AnyValue ${JSON.stringify(v)}`);
}

const attrs = (kvs: JsonKeyValue[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, scalar(kv.value)]));

/** Decodes one export request body by its content type (application/x-protobuf or application/json). */
export function decodeOtlpLogs(contentType: string | undefined, body: Buffer): DecodedLogs {
  let doc: JsonRequest;
  if (contentType === 'application/x-protobuf') {
    // int64 and fixed64 as decimal strings, as OTLP/JSON writes them.
    doc = Request.toObject(Request.decode(body), { longs: String, defaults: false }) as unknown as JsonRequest;
  } else if (contentType === 'application/json') {
    doc = JSON.parse(body.toString('utf8')) as JsonRequest;
  } else {
    throw new Error(`unexpected content-type ${String(contentType)}`);
  }
  const out: DecodedLogs = { resource: {}, scopeNames: [], records: [] };
  for (const rl of doc.resourceLogs) {
    Object.assign(out.resource, attrs(rl.resource?.attributes));
    for (const sl of rl.scopeLogs) {
      out.scopeNames.push(sl.scope?.name ?? '');
      for (const lr of sl.logRecords ?? []) {
        out.records.push({ timeUnixNano: String(lr.timeUnixNano), observedTimeUnixNano: String(lr.observedTimeUnixNano), severityNumber: lr.severityNumber, severityText: lr.severityText, body: scalar(lr.body), attributes: attrs(lr.attributes) });
      }
    }
  }
  return out;
}
