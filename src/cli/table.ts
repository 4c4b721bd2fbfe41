/** Prints rows as aligned columns (the CLI's human output). */
export function printTable(out: NodeJS.WritableStream, header: string[] | null, rows: string[][], widths = columnWidths(header, rows)): void {
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  if (header) out.write(`${line(header)}\n`);
  for (const row of rows) out.write(`${line(row)}\n`);
}

export function columnWidths(header: string[] | null, rows: string[][]): number[] {
  const all = header ? [header, ...rows] : rows;
  const n = Math.max(0, ...all.map((r) => r.length));
  return Array.from({ length: n }, (_, i) => Math.max(0, ...all.map((r) => (r[i] ?? '').length)));
}
