// One round of the dashboard, pure: from each proxy's previous and current scrape, the workloads'
// golden metrics (stat-math), their routes (routes-math), the edges (src/cli/edges), the traffic
// splits, and the proxies' raw counter totals at this round.
//
// Contract: nothing here does I/O or reads the clock. A proxy scraped for the first time is
// `warming` (its totals are shown, its rates wait for the next round); one that did not answer is
// `unreachable` with the reason.

import { sumSamples, type ParsedMetrics } from '../../metrics/index.ts';
import { computeEdges, proxyHost, type EdgeProxy } from '../edges/index.ts';
import { routeSnapshotOf, routeStats } from '../routes/routes-math.ts';
import { workloadOf, type MeshComponent } from '../stat/mesh-state.ts';
import type { ScrapeResult } from '../stat/scrape.ts';
import { snapshotOf, workloadStats, type DirectionStats } from '../stat/stat-math.ts';
import type {
  CounterTotals,
  DirectionView,
  EdgeView,
  HistoryPoint,
  RouteView,
  SplitView,
  WorkloadView,
} from './dashboard-api.ts';
import { splitViews, type ConfiguredBackend } from './dashboard-split.ts';

/** A successful scrape and when it arrived (performance.now()). */
export interface TimedMetrics {
  readonly metrics: ParsedMetrics;
  readonly at: number;
}

export interface ProxyRound {
  readonly component: MeshComponent;
  readonly previous: TimedMetrics | undefined;
  readonly current: ScrapeResult;
}

export interface RoundView {
  readonly workloads: WorkloadView[];
  readonly routes: RouteView[];
  readonly edges: EdgeView[];
  readonly splits: SplitView[];
}

const nul = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

function directionView(s: DirectionStats): DirectionView {
  return {
    successRate: nul(s.successRate),
    requestsPerSecond: s.requestsPerSecond,
    latencyMsP50: nul(s.latencyMsP50),
    latencyMsP95: nul(s.latencyMsP95),
    latencyMsP99: nul(s.latencyMsP99),
    tcpOpenConnections: s.tcpOpenConnections,
    tlsShare: nul(s.tlsShare),
    requests: s.requests,
    responses: s.responses,
  };
}

/** The request and response counters of one scrape, summed per direction. */
export function counterTotals(metrics: ParsedMetrics): CounterTotals {
  return {
    inboundRequests: sumSamples(metrics, 'request_total', { direction: 'inbound' }),
    outboundRequests: sumSamples(metrics, 'request_total', { direction: 'outbound' }),
    inboundResponses: sumSamples(metrics, 'response_total', { direction: 'inbound' }),
    outboundResponses: sumSamples(metrics, 'response_total', { direction: 'outbound' }),
  };
}

export function buildRoundView(
  rounds: readonly ProxyRound[],
  configured: ReadonlyMap<string, readonly ConfiguredBackend[]>,
): RoundView {
  const workloads: WorkloadView[] = [];
  const routes: RouteView[] = [];
  const edgeInputs: EdgeProxy[] = [];
  const splitInputs: { before: ParsedMetrics | undefined; after: ParsedMetrics }[] = [];
  for (const r of rounds) {
    const c = r.component;
    const base = {
      workload: workloadOf(c),
      proxy: c.name,
      admin: c.addresses.admin ?? '',
      identity: nul(c.addresses.identity),
    };
    const cur = r.current;
    if ('error' in cur) {
      workloads.push({
        ...base,
        status: 'unreachable',
        error: cur.error,
        windowMs: null,
        inbound: null,
        outbound: null,
        totals: null,
      });
      continue;
    }
    splitInputs.push({ before: r.previous?.metrics, after: cur.metrics });
    const totals = counterTotals(cur.metrics);
    if (r.previous === undefined) {
      workloads.push({
        ...base,
        status: 'warming',
        error: null,
        windowMs: null,
        inbound: null,
        outbound: null,
        totals,
      });
      continue;
    }
    const windowMs = cur.at - r.previous.at;
    const stats = workloadStats(snapshotOf(r.previous.metrics), snapshotOf(cur.metrics), windowMs);
    workloads.push({
      ...base,
      status: 'ok',
      error: null,
      windowMs,
      inbound: directionView(stats.inbound),
      outbound: directionView(stats.outbound),
      totals,
    });
    for (const s of routeStats(routeSnapshotOf(r.previous.metrics), routeSnapshotOf(cur.metrics), windowMs)) {
      routes.push({
        workload: base.workload,
        source: s.source,
        service: s.service,
        route: s.route,
        successRate: nul(s.successRate),
        requestsPerSecond: s.requestsPerSecond,
        actualRequestsPerSecond: nul(s.actualRequestsPerSecond),
        latencyMsP50: nul(s.latencyMsP50),
        latencyMsP95: nul(s.latencyMsP95),
        latencyMsP99: nul(s.latencyMsP99),
      });
    }
    edgeInputs.push({
      workload: base.workload,
      identity: c.addresses.identity === '' ? undefined : c.addresses.identity,
      host: proxyHost(c),
      before: r.previous.metrics,
      after: cur.metrics,
      windowMs,
    });
  }
  const edges = computeEdges(edgeInputs).map((e): EdgeView => ({
    ...e,
    srcId: nul(e.srcId),
    dstId: nul(e.dstId),
    successRate: nul(e.successRate),
    mtlsShare: nul(e.mtlsShare),
  }));
  return { workloads, routes, edges, splits: splitViews(splitInputs, configured) };
}

/** The chart point of one round. */
export function historyPoint(t: number, workloads: readonly WorkloadView[]): HistoryPoint {
  const point: Record<string, HistoryPoint['workloads'][string]> = {};
  for (const w of workloads) {
    if (w.status !== 'ok') continue;
    point[w.workload] = {
      rpsIn: w.inbound?.requestsPerSecond ?? null,
      rpsOut: w.outbound?.requestsPerSecond ?? null,
      successIn: w.inbound?.successRate ?? null,
      successOut: w.outbound?.successRate ?? null,
      p99In: w.inbound?.latencyMsP99 ?? null,
      p99Out: w.outbound?.latencyMsP99 ?? null,
    };
  }
  return { t, workloads: point };
}
