// `nodemesh routes`: scrape every proxy twice, a window apart — the local mesh's, or with
// --kubernetes the meshed pods' through the API server — and show per workload and route
// (ServiceProfile and Gateway API routes) the success rate, request rate, attempt rate (retries
// included) and latency quantiles. A workload's pods are added up.

import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, writeJson, writeLine } from '../output.ts';
import {
  WINDOWED_FLAGS,
  listProxies,
  windowedOptions,
  originNotes,
  originOf,
  skippedNotes,
  type ReportOrigin,
} from '../stat/proxy-scope.ts';
import { formatMillis, formatPercent, nullsForUndefined, scrapeTargetsTwice } from '../stat/scrape.ts';
import { groupByWorkload, meanWindowMs, splitScraped } from '../stat/workload-groups.ts';
import { groupRouteStats, routeSnapshotOf, type RouteStats } from './routes-math.ts';

export type RoutesReport = ReportOrigin &
  (
    | {
        readonly status: 'ok';
        /** The time between the two scrapes (the mean over a workload's pods). */
        readonly windowMs: number;
        readonly routes: readonly RouteStats[];
      }
    | {
        readonly status: 'unreachable';
        readonly error: string;
      }
  );

export async function runRoutes(ctx: CommandContext): Promise<number> {
  const cmd = 'routes';
  const { values } = parseFlags(cmd, ctx.argv, {
    ...WINDOWED_FLAGS,
    workload: { type: 'string' },
  });
  const { format, windowText, windowMs, choice } = windowedOptions(cmd, values);

  const found = await listProxies(ctx, cmd, choice);
  if (typeof found === 'number') return found;
  const { source, list } = found;
  let targets = list.targets;
  const workload = values.workload;
  if (workload !== undefined) {
    const known = [...new Set(targets.map((t) => t.workload))];
    // On Kubernetes `web` finds `deployment/web` too.
    targets = targets.filter((t) => t.workload === workload || t.workload.endsWith(`/${workload}`));
    if (targets.length === 0) {
      writeLine(ctx.stderr, `error: no proxy serves workload ${JSON.stringify(workload)}; known: ${known.join(', ')}`);
      return EXIT_FAILURE;
    }
  }

  const pairs = await scrapeTargetsTwice(targets, windowMs, ctx.signal);
  if (pairs === undefined) return EXIT_FAILURE; // interrupted

  const reports = groupByWorkload(targets, pairs).map((group): RoutesReport => {
    const origin = originOf(source, group);
    const { ok, failed } = splitScraped(group.members, (pair) => ({
      before: routeSnapshotOf(pair.before),
      after: routeSnapshotOf(pair.after),
      windowMs: pair.windowMs,
    }));
    if (ok.length === 0) return { ...origin, status: 'unreachable', error: failed[0]?.error ?? 'not scraped' };
    return { ...origin, status: 'ok', windowMs: meanWindowMs(group.members), routes: groupRouteStats(ok) };
  });

  if (format === 'json') {
    writeJson(ctx.stdout, {
      window: windowText,
      workloads: reports.map(toJson),
      ...(source.kind === 'kubernetes' ? { notScraped: list.skipped } : {}),
    });
  } else writeLine(ctx.stdout, formatRoutesTable(reports, workload === undefined ? skippedNotes(list) : []));
  const unreachable = reports.some((r) => r.status === 'unreachable' || ('pods' in r && r.unreachablePods.length > 0));
  return unreachable ? EXIT_FAILURE : EXIT_OK;
}

/** The report with `undefined` numbers as null, so every field shows in JSON. */
function toJson(report: RoutesReport): unknown {
  if (report.status !== 'ok') return report;
  return { ...report, routes: report.routes.map(nullsForUndefined) };
}

/** The table `nodemesh routes` prints, with notes on unreachable proxies and workloads without routes. */
export function formatRoutesTable(reports: readonly RoutesReport[], skipped: readonly string[] = []): string {
  const pods = reports.some((r) => 'pods' in r);
  const header = ['WORKLOAD', 'ROUTE', 'SERVICE', 'SUCCESS', 'RPS', 'ACTUAL_RPS', 'P50', 'P95', 'P99'];
  const rows: string[][] = [pods ? ['NAMESPACE', ...header] : header];
  const notes: string[] = [];
  const row = (r: RoutesReport, cells: string[]): string[] =>
    'pods' in r ? [r.namespace, r.workload, ...cells] : [r.workload, ...cells];
  for (const r of reports) {
    notes.push(...originNotes(r, r.status === 'unreachable' ? r.error : undefined));
    if (r.status === 'unreachable') {
      rows.push(row(r, ['unreachable', '-', '-', '-', '-', '-', '-', '-']));
      continue;
    }
    if (r.routes.length === 0) {
      const name = 'pods' in r ? `${r.namespace}/${r.workload}` : r.workload;
      notes.push(`${name}: no route metrics yet (no ServiceProfile or Gateway API route has carried requests)`);
      continue;
    }
    for (const s of r.routes) {
      rows.push(
        row(r, [
          s.route,
          s.service,
          formatPercent(s.successRate),
          s.requestsPerSecond.toFixed(1),
          s.actualRequestsPerSecond === undefined ? '-' : s.actualRequestsPerSecond.toFixed(1),
          formatMillis(s.latencyMsP50),
          formatMillis(s.latencyMsP95),
          formatMillis(s.latencyMsP99),
        ]),
      );
    }
  }
  notes.push(...skipped);
  return [formatTable(rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
