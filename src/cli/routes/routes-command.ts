// `nodemesh routes`: scrape every proxy of the local mesh twice, a window apart, and show per
// workload and route (ServiceProfile and Gateway API routes) the success rate, request rate,
// attempt rate (retries included) and latency quantiles.

import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, parseOutputFormat, writeJson, writeLine } from '../output.ts';
import { workloadOf } from '../stat/mesh-state.ts';
import {
  DEFAULT_WINDOW,
  formatMillis,
  formatPercent,
  nullsForUndefined,
  parseWindowMs,
  meshProxies,
  scrapeTwice,
} from '../stat/scrape.ts';
import { routeSnapshotOf, routeStats, type RouteStats } from './routes-math.ts';

export type RoutesReport =
  | {
      readonly workload: string;
      readonly proxy: string;
      readonly admin: string;
      readonly status: 'ok';
      /** The time between this proxy's two scrapes. */
      readonly windowMs: number;
      readonly routes: readonly RouteStats[];
    }
  | {
      readonly workload: string;
      readonly proxy: string;
      readonly admin: string;
      readonly status: 'unreachable';
      readonly error: string;
    };

export async function runRoutes(ctx: CommandContext): Promise<number> {
  const cmd = 'routes';
  const { values } = parseFlags(cmd, ctx.argv, {
    'state-dir': { type: 'string' },
    window: { type: 'string' },
    workload: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  const format = parseOutputFormat(cmd, values.output);
  const windowText = values.window ?? DEFAULT_WINDOW;
  const windowMs = parseWindowMs(cmd, windowText);

  let proxies = await meshProxies(ctx.cwd, values['state-dir'], ctx.stderr);
  if (proxies === undefined) return EXIT_FAILURE;
  const workload = values.workload;
  if (workload !== undefined) {
    const known = proxies.map(workloadOf);
    proxies = proxies.filter((p) => workloadOf(p) === workload);
    if (proxies.length === 0) {
      writeLine(ctx.stderr, `error: no proxy serves workload ${JSON.stringify(workload)}; known: ${known.join(', ')}`);
      return EXIT_FAILURE;
    }
  }

  const pairs = await scrapeTwice(proxies, windowMs, ctx.signal);
  if (pairs === undefined) return EXIT_FAILURE; // interrupted

  const reports = proxies.map((proxy, i): RoutesReport => {
    const base = { workload: workloadOf(proxy), proxy: proxy.name, admin: proxy.addresses.admin ?? '' };
    const pair = pairs[i] ?? { error: 'not scraped' };
    if ('error' in pair) return { ...base, status: 'unreachable', error: pair.error };
    const routes = routeStats(routeSnapshotOf(pair.before), routeSnapshotOf(pair.after), pair.windowMs);
    return { ...base, status: 'ok', windowMs: pair.windowMs, routes };
  });

  if (format === 'json') writeJson(ctx.stdout, { window: windowText, workloads: reports.map(toJson) });
  else writeLine(ctx.stdout, formatRoutesTable(reports));
  return reports.some((r) => r.status === 'unreachable') ? EXIT_FAILURE : EXIT_OK;
}

/** The report with `undefined` numbers as null, so every field shows in JSON. */
function toJson(report: RoutesReport): unknown {
  if (report.status !== 'ok') return report;
  return { ...report, routes: report.routes.map(nullsForUndefined) };
}

/** The table `nodemesh routes` prints, with notes on unreachable proxies and workloads without routes. */
export function formatRoutesTable(reports: readonly RoutesReport[]): string {
  const rows: string[][] = [['WORKLOAD', 'ROUTE', 'SERVICE', 'SUCCESS', 'RPS', 'ACTUAL_RPS', 'P50', 'P95', 'P99']];
  const notes: string[] = [];
  for (const r of reports) {
    if (r.status === 'unreachable') {
      rows.push([r.workload, 'unreachable', '-', '-', '-', '-', '-', '-', '-']);
      notes.push(`${r.workload}: proxy admin ${r.admin} unreachable (${r.error})`);
      continue;
    }
    if (r.routes.length === 0) {
      notes.push(`${r.workload}: no route metrics yet (no ServiceProfile or Gateway API route has carried requests)`);
      continue;
    }
    for (const s of r.routes) {
      rows.push([
        r.workload,
        s.route,
        s.service,
        formatPercent(s.successRate),
        s.requestsPerSecond.toFixed(1),
        s.actualRequestsPerSecond === undefined ? '-' : s.actualRequestsPerSecond.toFixed(1),
        formatMillis(s.latencyMsP50),
        formatMillis(s.latencyMsP95),
        formatMillis(s.latencyMsP99),
      ]);
    }
  }
  return [formatTable(rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
