import type { CheckResponse } from '../../proto/gen/envoy/service/auth/v3/CheckResponse.js';
import type { HeaderValueOption } from '../../proto/gen/envoy/config/core/v3/HeaderValueOption.js';
import type { Struct } from '../../proto/gen/google/protobuf/Struct.js';
import type { Value } from '../../proto/gen/google/protobuf/Value.js';

/**
 * A CheckResponse (as checkResponseFromOutcome builds it) written as protobuf bytes directly, in place
 * of protobufjs's fromObject + encode: those built a message object per Value and header and were a
 * tenth of a Check's CPU. Field numbers from envoy/service/auth/v3/external_auth.proto,
 * envoy/config/core/v3/base.proto, google/rpc/status.proto and google/protobuf/struct.proto.
 * Members keyward never sets are refused, so a new one cannot be dropped without a test noticing.
 */
export function encodeCheckResponse(r: CheckResponse): Buffer {
  const w = new Writer();
  if (r.status) {
    const at = w.open(1);
    if (r.status.code) w.varintField(1, r.status.code);
    if (r.status.message) w.stringField(2, r.status.message);
    if (r.status.details?.length) throw unsupported('status.details');
    w.close(at);
  }
  if (r.denied_response) {
    const d = r.denied_response;
    const at = w.open(2);
    if (d.status) {
      const s = w.open(1);
      const code = typeof d.status.code === 'number' ? d.status.code : undefined;
      if (code === undefined && d.status.code !== undefined) throw unsupported('denied_response.status.code as a name');
      if (code) w.varintField(1, code);
      w.close(s);
    }
    for (const h of d.headers ?? []) headerOption(w, 2, h);
    if (d.body) w.stringField(3, d.body);
    w.close(at);
  }
  if (r.ok_response) {
    const o = r.ok_response;
    if (o.query_parameters_to_set?.length || o.dynamic_metadata) throw unsupported('ok_response member');
    const at = w.open(3);
    for (const h of o.headers ?? []) headerOption(w, 2, h);
    for (const name of o.headers_to_remove ?? []) w.stringField(5, name);
    for (const h of o.response_headers_to_add ?? []) headerOption(w, 6, h);
    for (const name of o.query_parameters_to_remove ?? []) w.stringField(8, name);
    w.close(at);
  }
  if (r.dynamic_metadata) struct(w, 4, r.dynamic_metadata);
  return w.finish();
}

const unsupported = (what: string): Error => new Error(`encodeCheckResponse: ${what} is not written`);

const APPEND_ACTIONS: Readonly<Record<string, number>> = { APPEND_IF_EXISTS_OR_ADD: 0, ADD_IF_ABSENT: 1, OVERWRITE_IF_EXISTS_OR_ADD: 2, OVERWRITE_IF_EXISTS: 3 };

function headerOption(w: Writer, field: number, h: HeaderValueOption): void {
  if (h.append !== undefined || h.keep_empty_value || h.header?.raw_value !== undefined) throw unsupported('header option member');
  const at = w.open(field);
  if (h.header) {
    const hv = w.open(1);
    if (h.header.key) w.stringField(1, h.header.key);
    if (h.header.value) w.stringField(2, h.header.value);
    w.close(hv);
  }
  const action = typeof h.append_action === 'number' ? h.append_action : APPEND_ACTIONS[h.append_action ?? 'APPEND_IF_EXISTS_OR_ADD'];
  if (action === undefined) throw unsupported(`append_action ${String(h.append_action)}`);
  if (action) w.varintField(3, action);
  w.close(at);
}

function struct(w: Writer, field: number, s: Struct): void {
  const at = w.open(field);
  for (const [key, value] of Object.entries(s.fields ?? {})) {
    const entry = w.open(1);
    w.stringField(1, key);
    valueOf(w, 2, value);
    w.close(entry);
  }
  w.close(at);
}

// google.protobuf.Value: its `kind` is a oneof, so the chosen member is written even when it is a default.
function valueOf(w: Writer, field: number, v: Value): void {
  const at = w.open(field);
  if (v.nullValue !== undefined) w.varintField(1, 0);
  else if (v.numberValue !== undefined) w.doubleField(2, Number(v.numberValue));
  else if (v.stringValue !== undefined) w.stringField(3, v.stringValue);
  else if (v.boolValue !== undefined) w.varintField(4, v.boolValue ? 1 : 0);
  else if (v.structValue != null) struct(w, 5, v.structValue);
  else if (v.listValue != null) {
    const list = w.open(6);
    for (const item of v.listValue.values ?? []) valueOf(w, 1, item);
    w.close(list);
  }
  w.close(at);
}

/**
 * A growing buffer; a nested message reserves one length byte and moves its bytes on when longer.
 * Callers skip optional members at their default; what they write is always written (a oneof
 * member, an element of a repeated field).
 */
class Writer {
  private buf = Buffer.allocUnsafe(1024);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private varint(v: number): void {
    this.room(5);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  varintField(field: number, v: number): void {
    if (v < 0 || !Number.isInteger(v)) throw unsupported(`varint ${v}`);
    this.varint(field << 3);
    this.varint(v);
  }

  doubleField(field: number, v: number): void {
    this.varint((field << 3) | 1);
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  stringField(field: number, s: string): void {
    this.varint((field << 3) | 2);
    this.room(5 + s.length * 3);
    const at = this.pos + 1;
    let ascii = s.length < 128;
    if (ascii) {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        this.buf[at + i] = c;
      }
    }
    if (ascii) {
      this.buf[this.pos] = s.length;
      this.pos = at + s.length;
      return;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Starts a length-delimited member; returns where its length byte is. */
  open(field: number): number {
    this.varint((field << 3) | 2);
    this.room(1);
    return this.pos++;
  }

  close(at: number): void {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    let extra = 0;
    for (let v = len >>> 7; v > 0; v >>>= 7) extra++;
    this.room(extra);
    this.buf.copy(this.buf, at + 1 + extra, at + 1, this.pos);
    let v = len;
    let p = at;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
    this.pos += extra;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
