/** Pure output formatting for the audit CLI: JSON lines, CSV (RFC 4180) and a plain text table. */

/** A value as text: dates in ISO form, arrays and objects as JSON, null as empty. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function jsonLine(row: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
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
  const cells = rows.map((r) => columns.map((c) => clip(cellText(r[c]).replace(/\s+/g, ' '), maxWidth)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: readonly string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  return line(columns) + line(widths.map((w) => '-'.repeat(w))) + cells.map(line).join('');
}

function clip(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
