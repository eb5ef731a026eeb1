// `nodemesh edges`: scrape every proxy of the local mesh twice, a window apart, and show who calls
// whom with both identities, the request rate, the success rate and the share sent over mTLS.

import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, parseOutputFormat, writeJson, writeLine } from '../output.ts';
import { workloadOf } from '../stat/mesh-state.ts';
import {
  DEFAULT_WINDOW,
  formatPercent,
  meshProxies,
  nullsForUndefined,
  parseWindowMs,
  scrapeTwice,
} from '../stat/scrape.ts';
import { edgeProxiesOf } from './edges-input.ts';
import { computeEdges, type Edge } from './edges-math.ts';

export interface UnreachableProxy {
  readonly workload: string;
  readonly admin: string;
  readonly error: string;
}

export async function runEdges(ctx: CommandContext): Promise<number> {
  const cmd = 'edges';
  const { values } = parseFlags(cmd, ctx.argv, {
    'state-dir': { type: 'string' },
    window: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  const format = parseOutputFormat(cmd, values.output);
  const windowText = values.window ?? DEFAULT_WINDOW;
  const windowMs = parseWindowMs(cmd, windowText);

  const proxies = await meshProxies(ctx.cwd, values['state-dir'], ctx.stderr);
  if (proxies === undefined) return EXIT_FAILURE;

  const pairs = await scrapeTwice(proxies, windowMs, ctx.signal);
  if (pairs === undefined) return EXIT_FAILURE; // interrupted

  const edges = computeEdges(edgeProxiesOf(proxies, pairs));
  const unreachable: UnreachableProxy[] = [];
  proxies.forEach((p, i) => {
    const pair = pairs[i] ?? { error: 'not scraped' };
    if ('error' in pair)
      unreachable.push({ workload: workloadOf(p), admin: p.addresses.admin ?? '', error: pair.error });
  });

  if (format === 'json') {
    writeJson(ctx.stdout, { window: windowText, edges: edges.map(nullsForUndefined), unreachable });
  } else {
    writeLine(ctx.stdout, formatEdgesTable(edges, unreachable));
  }
  return unreachable.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** The table `nodemesh edges` prints, with notes on unreachable proxies. */
export function formatEdgesTable(edges: readonly Edge[], unreachable: readonly UnreachableProxy[]): string {
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
  return [formatTable(rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
