/** The benchmark's printed report: aligned tables and targets, shared by its parts. */

/** A target, as met or missed with the value measured. */
export interface Target {
  target: string;
  value: string;
  met: boolean;
}

/** Rows as lines of aligned columns: the first column left-aligned, the others right-aligned. */
export function formatTable(rows: string[][]): string[] {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  '),
  );
}

export function formatTargets(targets: Target[]): string[] {
  return ['Targets:', ...targets.map((t) => `  ${t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${t.value}`)];
}
