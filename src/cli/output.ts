// Writing command output: plain text for people, JSON for scripts (`-o json`).

import type { Writable } from 'node:stream';
import { UsageError } from '../errors/index.ts';

export const OUTPUT_FORMATS = ['table', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(command: string, value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  const found = OUTPUT_FORMATS.find((f) => f === value);
  if (found === undefined) {
    throw new UsageError(
      `${command}: -o ${JSON.stringify(value)} is not an output format; allowed: ${OUTPUT_FORMATS.join(', ')}`,
    );
  }
  return found;
}

export function writeLine(out: Writable, line = ''): void {
  out.write(`${line}\n`);
}

export function writeJson(out: Writable, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Rows aligned in columns, the first row as the header. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
