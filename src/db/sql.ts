/** Quotes an SQL identifier (schema, table, role names come from validated config, quoted anyway). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
