// `nodemesh stat`: scrape every proxy twice, a window apart — the local mesh's, or with --kubernetes
// the meshed pods' through the API server — and show per workload the success rate, request rate,
// latency quantiles, open connections and mTLS share. A workload's pods are added up.

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
} from './proxy-scope.ts';
import { formatMillis as millis, formatPercent as percent, nullsForUndefined, scrapeTargetsTwice } from './scrape.ts';
import { DIRECTIONS, groupStats, snapshotOf, type DirectionStats } from './stat-math.ts';
import { groupByWorkload, meanWindowMs, splitScraped } from './workload-groups.ts';

export type WorkloadReport = ReportOrigin &
  (
    | {
        readonly status: 'ok';
        /** The time between the two scrapes (the mean over a workload's pods). */
        readonly windowMs: number;
        readonly inbound: DirectionStats;
        readonly outbound: DirectionStats;
      }
    | {
        readonly status: 'unreachable';
        readonly error: string;
      }
  );

export async function runStat(ctx: CommandContext): Promise<number> {
  const cmd = 'stat';
  const { values } = parseFlags(cmd, ctx.argv, WINDOWED_FLAGS);
  const { format, windowText, windowMs, choice } = windowedOptions(cmd, values);

  const found = await listProxies(ctx, cmd, choice);
  if (typeof found === 'number') return found;
  const { source, list } = found;

  const pairs = await scrapeTargetsTwice(list.targets, windowMs, ctx.signal);
  if (pairs === undefined) return EXIT_FAILURE; // interrupted

  const reports = groupByWorkload(list.targets, pairs).map((group): WorkloadReport => {
    const origin = originOf(source, group);
    const { ok, failed } = splitScraped(group.members, (pair) => ({
      before: snapshotOf(pair.before),
      after: snapshotOf(pair.after),
      windowMs: pair.windowMs,
    }));
    if (ok.length === 0) return { ...origin, status: 'unreachable', error: failed[0]?.error ?? 'not scraped' };
    return { ...origin, status: 'ok', windowMs: meanWindowMs(group.members), ...groupStats(ok) };
  });

  if (format === 'json') {
    writeJson(ctx.stdout, {
      window: windowText,
      workloads: reports.map(toJson),
      ...(source.kind === 'kubernetes' ? { notScraped: list.skipped } : {}),
    });
  } else writeLine(ctx.stdout, formatReports(reports, skippedNotes(list)));
  const unreachable = reports.some((r) => r.status === 'unreachable' || ('pods' in r && r.unreachablePods.length > 0));
  return unreachable ? EXIT_FAILURE : EXIT_OK;
}

/** The report with `undefined` numbers as null, so every field shows in JSON. */
function toJson(report: WorkloadReport): unknown {
  if (report.status !== 'ok') return report;
  return { ...report, inbound: nullsForUndefined(report.inbound), outbound: nullsForUndefined(report.outbound) };
}

function formatReports(reports: readonly WorkloadReport[], skipped: readonly string[]): string {
  const pods = reports.some((r) => 'pods' in r);
  const header = ['WORKLOAD', 'DIRECTION', 'SUCCESS', 'RPS', 'P50', 'P95', 'P99', 'TCP', 'MTLS'];
  const rows: string[][] = [pods ? ['NAMESPACE', ...header, 'PODS'] : header];
  const notes: string[] = [];
  const row = (r: WorkloadReport, cells: string[]): string[] => {
    if (!('pods' in r)) return [r.workload, ...cells];
    const answered = r.pods.length - r.unreachablePods.length;
    return [r.namespace, r.workload, ...cells, `${answered}/${r.pods.length}`];
  };
  for (const r of reports) {
    notes.push(...originNotes(r, r.status === 'unreachable' ? r.error : undefined));
    if (r.status === 'unreachable') {
      rows.push(row(r, ['unreachable', '-', '-', '-', '-', '-', '-', '-']));
      continue;
    }
    for (const direction of DIRECTIONS) {
      const s = r[direction];
      rows.push(
        row(r, [
          direction,
          percent(s.successRate),
          s.requestsPerSecond.toFixed(1),
          millis(s.latencyMsP50),
          millis(s.latencyMsP95),
          millis(s.latencyMsP99),
          String(s.tcpOpenConnections),
          percent(s.tlsShare),
        ]),
      );
    }
  }
  notes.push(...skipped);
  return [formatTable(rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
