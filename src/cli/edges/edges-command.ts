// `nodemesh edges`: scrape every proxy twice, a window apart — the local mesh's, or with
// --kubernetes the meshed pods' through the API server — and show who calls whom with both
// identities, the request rate, the success rate and the share sent over mTLS. Locally an edge
// joins workloads; on Kubernetes it joins pods (`namespace/pod`).

import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, writeJson, writeLine } from '../output.ts';
import { WINDOWED_FLAGS, listProxies, windowedOptions, skippedNotes } from '../stat/proxy-scope.ts';
import { formatPercent, nullsForUndefined, scrapeTargetsTwice } from '../stat/scrape.ts';
import { edgeNameOf, edgeTargetsOf } from './edges-input.ts';
import { computeEdges, type Edge } from './edges-math.ts';

export interface UnreachableProxy {
  /** The local workload, or `namespace/pod` on Kubernetes. */
  readonly workload: string;
  /** Where its admin server is (`http://127.0.10.1:4191`, `pod shop/web-1:4191`). */
  readonly admin: string;
  readonly error: string;
}

export async function runEdges(ctx: CommandContext): Promise<number> {
  const cmd = 'edges';
  const { values } = parseFlags(cmd, ctx.argv, WINDOWED_FLAGS);
  const { format, windowText, windowMs, choice } = windowedOptions(cmd, values);

  const found = await listProxies(ctx, cmd, choice);
  if (typeof found === 'number') return found;
  const { source, list } = found;

  const pairs = await scrapeTargetsTwice(list.targets, windowMs, ctx.signal);
  if (pairs === undefined) return EXIT_FAILURE; // interrupted

  const edges = computeEdges(edgeTargetsOf(list.targets, pairs));
  const unreachable: UnreachableProxy[] = [];
  list.targets.forEach((t, i) => {
    const pair = pairs[i] ?? { error: 'not scraped' };
    if ('error' in pair) unreachable.push({ workload: edgeNameOf(t), admin: t.address, error: pair.error });
  });

  if (format === 'json') {
    writeJson(ctx.stdout, {
      window: windowText,
      edges: edges.map(nullsForUndefined),
      unreachable,
      ...(source.kind === 'kubernetes' ? { notScraped: list.skipped } : {}),
    });
  } else {
    writeLine(ctx.stdout, formatEdgesTable(edges, unreachable, skippedNotes(list)));
  }
  return unreachable.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** The table `nodemesh edges` prints, with notes on unreachable proxies. */
export function formatEdgesTable(
  edges: readonly Edge[],
  unreachable: readonly UnreachableProxy[],
  skipped: readonly string[] = [],
): string {
  const rows: string[][] = [['SRC', 'DST', 'SRC_ID', 'DST_ID', 'RPS', 'SUCCESS', 'MTLS']];
  for (const e of edges) {
    rows.push([
      e.src,
      e.dst,
      e.srcId ?? '-',
      e.dstId ?? '-',
      e.requestsPerSecond.toFixed(1),
      formatPercent(e.successRate),
      formatPercent(e.mtlsShare),
    ]);
  }
  const notes = unreachable.map((u) => `${u.workload}: proxy admin ${u.admin} unreachable (${u.error})`);
  if (edges.length === 0) notes.unshift('no edges yet: no proxy has counted a request');
  notes.push(...skipped);
  return [formatTable(rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
