// `nodemesh stat`: scrape every proxy of the local mesh twice, a window apart, and show per workload
// the success rate, request rate, latency quantiles, open connections and mTLS share.

import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, parseOutputFormat, writeJson, writeLine } from '../output.ts';
import { workloadOf } from './mesh-state.ts';
import {
  DEFAULT_WINDOW,
  formatMillis as millis,
  formatPercent as percent,
  nullsForUndefined,
  parseWindowMs,
  meshProxies,
  scrapeTwice,
} from './scrape.ts';
import { DIRECTIONS, snapshotOf, workloadStats, type DirectionStats } from './stat-math.ts';

export type WorkloadReport =
  | {
      readonly workload: string;
      readonly proxy: string;
      readonly admin: string;
      readonly status: 'ok';
      /** The time between this proxy's two scrapes. */
      readonly windowMs: number;
      readonly inbound: DirectionStats;
      readonly outbound: DirectionStats;
    }
  | {
      readonly workload: string;
      readonly proxy: string;
      readonly admin: string;
      readonly status: 'unreachable';
      readonly error: string;
    };

export async function runStat(ctx: CommandContext): Promise<number> {
  const cmd = 'stat';
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

  const reports = proxies.map((proxy, i): WorkloadReport => {
    const base = { workload: workloadOf(proxy), proxy: proxy.name, admin: proxy.addresses.admin ?? '' };
    const pair = pairs[i] ?? { error: 'not scraped' };
    if ('error' in pair) return { ...base, status: 'unreachable', error: pair.error };
    const stats = workloadStats(snapshotOf(pair.before), snapshotOf(pair.after), pair.windowMs);
    return { ...base, status: 'ok', windowMs: pair.windowMs, ...stats };
  });

  if (format === 'json') writeJson(ctx.stdout, { window: windowText, workloads: reports.map(toJson) });
  else writeLine(ctx.stdout, formatReports(reports));
  return reports.some((r) => r.status === 'unreachable') ? EXIT_FAILURE : EXIT_OK;
}

/** The report with `undefined` numbers as null, so every field shows in JSON. */
function toJson(report: WorkloadReport): unknown {
  if (report.status !== 'ok') return report;
  return { ...report, inbound: nullsForUndefined(report.inbound), outbound: nullsForUndefined(report.outbound) };
}

function formatReports(reports: readonly WorkloadReport[]): string {
  const rows: string[][] = [['WORKLOAD', 'DIRECTION', 'SUCCESS', 'RPS', 'P50', 'P95', 'P99', 'TCP', 'MTLS']];
  const notes: string[] = [];
  for (const r of reports) {
    if (r.status === 'unreachable') {
      rows.push([r.workload, 'unreachable', '-', '-', '-', '-', '-', '-', '-']);
      notes.push(`${r.workload}: proxy admin ${r.admin} unreachable (${r.error})`);
      continue;
    }
    for (const direction of DIRECTIONS) {
      const s = r[direction];
      rows.push([
        r.workload,
        direction,
        percent(s.successRate),
        s.requestsPerSecond.toFixed(1),
        millis(s.latencyMsP50),
        millis(s.latencyMsP95),
        millis(s.latencyMsP99),
        String(s.tcpOpenConnections),
        direction === 'inbound' ? percent(s.tlsShare) : '-',
      ]);
    }
  }
  return [formatTable(rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
