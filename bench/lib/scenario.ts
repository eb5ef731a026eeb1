// What `npm run bench` runs: a named scenario's description and its entry, which gets the
// command line's --duration and --concurrency and returns the result as JSON and Markdown.

export interface BenchScenario {
  readonly describe: string;
  readonly run: (o: {
    durationMs: number;
    concurrency: number | undefined;
  }) => Promise<{ json: object; markdown: string }>;
}

/** The profiling hook every scenario honours: NODE_OPTIONS for the process under test. */
export function serverNodeOptions(): { proxyNodeOptions?: string } {
  const v = process.env.NODEMESH_BENCH_SERVER_NODE_OPTIONS;
  return v === undefined ? {} : { proxyNodeOptions: v };
}

/**
 * Which nodemesh the pair scenarios run: NODEMESH_BENCH_NODEMESH_BIN names another entry point
 * (a checkout of a baseline commit, or a build's dist/bin/nodemesh.js); default the sources here.
 */
export function nodemeshBinOption(): { nodemeshBin?: string } {
  const v = process.env.NODEMESH_BENCH_NODEMESH_BIN;
  return v === undefined || v === '' ? {} : { nodemeshBin: v };
}

/** "met" / "not met" for a goal. */
export function verdict(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? '**met**' : '**not met**';
}
