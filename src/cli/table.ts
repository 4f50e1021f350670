// Plain-text tables for the terminal: columns padded to their widest cell,
// numbers right-aligned, long cells cut with an ellipsis.

/** Column alignment. */
export type Align = 'left' | 'right';

/**
 * formatTable lays out `rows` under `headers`; `maxWidth` caps each column.
 *
 * @example
 * formatTable(['source', 'count'], [['ingest/logs', '12']], ['left', 'right']);
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
  maxWidth = 60,
): string {
  const cut = (s: string) => (s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s);
  const cells = [headers, ...rows].map((r) => r.map(cut));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (align[i] === 'right' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

/**
 * ms formats milliseconds with a precision that suits their size.
 *
 * @example
 * ms(0.0421); // '0.042'
 */
export function ms(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}
