// `nodemesh stat`: scrape every proxy of the local mesh twice, a window apart, and show per workload
// the success rate, request rate, latency quantiles, open connections and mTLS share.

import { setTimeout as sleep } from 'node:timers/promises';
import { parseDurationMs } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';
import { parsePrometheusText } from '../../metrics/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, parseOutputFormat, writeJson, writeLine } from '../output.ts';
import {
  MeshStateError,
  adminGet,
  isProxy,
  readMeshState,
  reasonOf,
  workloadOf,
  type MeshComponent,
} from './mesh-state.ts';
import { DIRECTIONS, snapshotOf, workloadStats, type DirectionStats, type Snapshot } from './stat-math.ts';

const DEFAULT_WINDOW = '5s';
const SCRAPE_TIMEOUT_MS = 2000;

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
  const windowMs = parseDurationMs(windowText);
  if (windowMs === undefined || windowMs <= 0) {
    throw new UsageError(
      `${cmd}: --window ${JSON.stringify(windowText)} is not a positive duration; allowed: a number with units, e.g. 5s or 500ms`,
    );
  }

  let proxies: MeshComponent[];
  try {
    proxies = (await readMeshState(ctx.cwd, values['state-dir'])).components.filter(isProxy);
  } catch (err) {
    if (!(err instanceof MeshStateError)) throw err;
    writeLine(ctx.stderr, `error: ${err.message}`);
    return EXIT_FAILURE;
  }
  if (proxies.length === 0) {
    writeLine(ctx.stderr, 'error: the local mesh has no proxies to scrape');
    return EXIT_FAILURE;
  }

  const first = await Promise.all(proxies.map((p) => scrape(p, ctx.signal)));
  try {
    await sleep(windowMs, undefined, { signal: ctx.signal });
  } catch {
    return EXIT_FAILURE; // interrupted
  }
  const second = await Promise.all(proxies.map((p) => scrape(p, ctx.signal)));

  const reports = proxies.map((proxy, i): WorkloadReport => {
    const base = { workload: workloadOf(proxy), proxy: proxy.name, admin: proxy.addresses.admin ?? '' };
    const a = first[i];
    const b = second[i];
    if (a === undefined || b === undefined) return { ...base, status: 'unreachable', error: 'not scraped' };
    if ('error' in a) return { ...base, status: 'unreachable', error: a.error };
    if ('error' in b) return { ...base, status: 'unreachable', error: b.error };
    const elapsed = b.at - a.at;
    return { ...base, status: 'ok', windowMs: elapsed, ...workloadStats(a.snapshot, b.snapshot, elapsed) };
  });

  if (format === 'json') writeJson(ctx.stdout, { window: windowText, workloads: reports.map(toJson) });
  else writeLine(ctx.stdout, formatReports(reports));
  return reports.some((r) => r.status === 'unreachable') ? EXIT_FAILURE : EXIT_OK;
}

type ScrapeResult = { readonly snapshot: Snapshot; readonly at: number } | { readonly error: string };

async function scrape(proxy: MeshComponent, signal: AbortSignal): Promise<ScrapeResult> {
  const admin = proxy.addresses.admin ?? '';
  try {
    const res = await adminGet(admin, '/metrics', SCRAPE_TIMEOUT_MS, signal);
    const at = performance.now();
    if (res.status !== 200) return { error: `GET /metrics answered ${res.status}` };
    return { snapshot: snapshotOf(parsePrometheusText(res.body)), at };
  } catch (err) {
    return { error: reasonOf(err) };
  }
}

/** The report with `undefined` numbers as null, so every field shows in JSON. */
function toJson(report: WorkloadReport): unknown {
  if (report.status !== 'ok') return report;
  const direction = (d: DirectionStats): Record<string, number | null> =>
    Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v ?? null]));
  return { ...report, inbound: direction(report.inbound), outbound: direction(report.outbound) };
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

function percent(value: number | undefined): string {
  return value === undefined ? '-' : `${(value * 100).toFixed(2)}%`;
}

function millis(value: number | undefined): string {
  if (value === undefined) return '-';
  return value < 10 ? `${value.toFixed(1)}ms` : `${Math.round(value)}ms`;
}
