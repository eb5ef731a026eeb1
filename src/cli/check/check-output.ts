// Printing `nodemesh check` results: one line per check, ✔ or ✖, a hint under each failure, and a
// closing count. Returns the exit code.

import type { Writable } from 'node:stream';
import { EXIT_FAILURE, EXIT_OK } from '../command.ts';
import { writeLine } from '../output.ts';
import type { CheckResult } from './check-proxy.ts';

export function printResults(out: Writable, results: readonly CheckResult[]): number {
  for (const r of results) {
    writeLine(out, `${r.ok ? '✔' : '✖'} ${r.message}`);
    if (!r.ok && r.hint !== undefined) writeLine(out, `    hint: ${r.hint}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  writeLine(out, failed === 0 ? `all ${results.length} checks passed` : `${failed} of ${results.length} checks failed`);
  return failed === 0 ? EXIT_OK : EXIT_FAILURE;
}
