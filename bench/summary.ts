// `npm run bench:summary`: rebuilds the table of every scenario's headline figures from the results
// files in bench/results/ (bench/results/summary.md and the generated block of docs/performance.md)
// without running anything. `npm run bench` does the same after its scenarios.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { replaceSummaryBlock, summaryMarkdown, summaryRows, type ResultsFile } from './lib/summary.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const DOC = fileURLToPath(new URL('../docs/performance.md', import.meta.url));

/** Reads every results file, writes summary.md and the document's block; returns the row count. */
export async function writeSummary(resultsDir = RESULTS, docPath = DOC): Promise<number> {
  const files = new Map<string, ResultsFile>();
  for (const name of (await readdir(resultsDir)).filter((n) => n.endsWith('.json')).sort()) {
    const scenario = name.slice(0, -'.json'.length);
    try {
      files.set(scenario, JSON.parse(await readFile(path.join(resultsDir, name), 'utf8')) as ResultsFile);
    } catch (err) {
      files.set(scenario, { error: (err as Error).message });
    }
  }
  const table = summaryMarkdown(summaryRows(files));
  await writeFile(
    path.join(resultsDir, 'summary.md'),
    `# Benchmark summary\n\nThe headline figure of every scenario in bench/results/, each from its own run (see the last column); written by \`npm run bench\` and \`npm run bench:summary\`.\n\n${table}`,
  );
  // Formatted as `npm run lint` checks the docs (the table's columns aligned).
  const doc = replaceSummaryBlock(await readFile(docPath, 'utf8'), table);
  await writeFile(docPath, await format(doc, { ...(await resolveConfig(docPath)), filepath: docPath }));
  return files.size;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await writeSummary();
  process.stdout.write(`bench:summary: ${rows} scenarios → bench/results/summary.md, docs/performance.md\n`);
}
