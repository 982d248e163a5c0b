/** Pure output formatting for the audit CLI: JSON lines, CSV (RFC 4180) and a plain text table. */

/** A value as text: dates in ISO form, arrays and objects as JSON, null as empty. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * Characters a terminal acts on or that reorder what it shows: C0 controls (ESC starts a colour, a
 * cursor move, a title; CR and LF start a forged line), DEL, C1 controls (0x9b is an 8-bit CSI),
 * bidi overrides and isolates, and the Unicode line and paragraph separators. An agent writes the
 * bodies and paths these rows hold, so none may reach a reviewer's terminal raw.
 */
// eslint-disable-next-line no-control-regex
const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// JSON.stringify has already escaped every C0 control inside strings; the raw ones left are its own layout.
// eslint-disable-next-line no-control-regex
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const hex4 = (c: string) => c.charCodeAt(0).toString(16).padStart(4, '0');

/** Text for a terminal: every unsafe character shown as `\uXXXX`, so a reviewer sees it and is not driven by it. */
export function terminalText(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (c) => `\\u${hex4(c)}`);
}

/** JSON for a terminal: JSON.stringify escapes C0 but leaves DEL, C1 and bidi controls raw; these become `\uXXXX` too (still the same JSON). */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent).replace(JSON_UNSAFE, (c) => `\\u${hex4(c)}`);
}

export function jsonLine(row: Readonly<Record<string, unknown>>): string {
  return terminalJson(row) + '\n';
}

export function csvLine(values: readonly unknown[]): string {
  return (
    values
      .map((v) => {
        const s = cellText(v);
        return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
      })
      .join(',') + '\r\n'
  );
}

export function textTable(columns: readonly string[], rows: readonly Readonly<Record<string, unknown>>[], maxWidth = 48): string {
  const cells = rows.map((r) => columns.map((c) => clip(terminalText(cellText(r[c]).replace(/[ \t\r\n]+/g, ' ')), maxWidth)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: readonly string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  return line(columns) + line(widths.map((w) => '-'.repeat(w))) + cells.map(line).join('');
}

function clip(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
