// The arithmetic of `nodemesh stat`, pure: reduce one scrape of a proxy's /metrics to per-direction
// totals, then turn two such snapshots taken a window apart into success rate, requests per second,
// latency quantiles (from the histogram bucket deltas, like Prometheus' histogram_quantile), open
// TCP connections and the mTLS share.
//
// Contract: nothing here does I/O or reads the clock. A value with no data behind it (no responses in
// the window, an empty histogram) is `undefined`, never NaN or 0. A counter that went down between
// the scrapes (the proxy restarted) counts from zero: its delta is the second value.

import { findSamples, sumSamples, type ParsedMetrics } from '../../metrics/index.ts';

export const DIRECTIONS = ['inbound', 'outbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** One histogram bucket: its upper bound and the cumulative count up to it. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/** The totals of one direction in one scrape. */
export interface DirectionSnapshot {
  readonly requests: number;
  readonly tlsRequests: number;
  readonly responses: number;
  readonly successes: number;
  /** Cumulative latency buckets summed over all label sets, sorted by `le`. */
  readonly latencyBuckets: readonly Bucket[];
  readonly openConnections: number;
}

export type Snapshot = Readonly<Record<Direction, DirectionSnapshot>>;

/** What `nodemesh stat` reports for one direction of one workload over the window. */
export interface DirectionStats {
  /** Successful responses ÷ all responses in the window, 0..1. */
  readonly successRate: number | undefined;
  readonly requestsPerSecond: number;
  readonly latencyMsP50: number | undefined;
  readonly latencyMsP95: number | undefined;
  readonly latencyMsP99: number | undefined;
  /** Open TCP connections at the second scrape. */
  readonly tcpOpenConnections: number;
  /** Requests with tls="true" ÷ all requests in the window, 0..1. */
  readonly tlsShare: number | undefined;
  readonly requests: number;
  readonly responses: number;
}

export type WorkloadStats = Readonly<Record<Direction, DirectionStats>>;

/** Reduces one parsed scrape to per-direction totals. */
export function snapshotOf(metrics: ParsedMetrics): Snapshot {
  const of = (direction: Direction): DirectionSnapshot => ({
    requests: sumSamples(metrics, 'request_total', { direction }),
    tlsRequests: sumSamples(metrics, 'request_total', { direction, tls: 'true' }),
    responses: sumSamples(metrics, 'response_total', { direction }),
    successes: sumSamples(metrics, 'response_total', { direction, classification: 'success' }),
    latencyBuckets: sumBuckets(findSamples(metrics, 'response_latency_ms_bucket', { direction })),
    openConnections: sumSamples(metrics, 'tcp_open_connections', { direction }),
  });
  return { inbound: of('inbound'), outbound: of('outbound') };
}

/** Buckets from samples with an `le` label, counts of equal bounds added up, sorted by bound. */
export function sumBuckets(samples: readonly { labels: Readonly<Record<string, string>>; value: number }[]): Bucket[] {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    const text = s.labels.le;
    if (text === undefined) continue;
    const le = text === '+Inf' ? Number.POSITIVE_INFINITY : Number(text);
    if (Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** How much a counter grew from `before` to `after`; after a reset, the whole of `after`. */
export function counterDelta(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/** `part` ÷ `whole`, or undefined when `whole` is 0. */
export function ratio(part: number, whole: number): number | undefined {
  return whole > 0 ? part / whole : undefined;
}

/** Per-second rate of `delta` over `windowMs` (0 for an empty window). */
export function perSecond(delta: number, windowMs: number): number {
  return windowMs > 0 ? (delta * 1000) / windowMs : 0;
}

/** Bucket-by-bucket growth between two scrapes of a cumulative histogram (bounds of `after`). */
export function bucketDeltas(before: readonly Bucket[], after: readonly Bucket[]): Bucket[] {
  const old = new Map(before.map((b) => [b.le, b.count]));
  const reset = after.some((b) => b.count < (old.get(b.le) ?? 0));
  return after.map((b) => ({ le: b.le, count: reset ? b.count : b.count - (old.get(b.le) ?? 0) }));
}

/**
 * The `q` quantile (0..1) of cumulative `buckets`, as Prometheus' histogram_quantile: find the
 * bucket the rank falls in and interpolate linearly inside it (the first bucket starts at 0). A rank
 * in the +Inf bucket gives the highest finite bound. Undefined when the histogram is empty.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const last = sorted.at(-1);
  if (last === undefined || Number.isNaN(q)) return undefined;
  const total = last.count;
  if (total <= 0) return undefined;
  if (q <= 0) return 0;
  const rank = Math.min(q, 1) * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank && b.count > prevCount) {
      if (b.le === Number.POSITIVE_INFINITY) return prevLe;
      return prevLe + (b.le - prevLe) * ((rank - prevCount) / (b.count - prevCount));
    }
    if (b.le !== Number.POSITIVE_INFINITY) prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** Two snapshots of one proxy taken `windowMs` apart. */
export interface SnapshotPair {
  readonly before: Snapshot;
  readonly after: Snapshot;
  readonly windowMs: number;
}

/** The stats of one workload from two snapshots taken `windowMs` apart. */
export function workloadStats(before: Snapshot, after: Snapshot, windowMs: number): WorkloadStats {
  return groupStats([{ before, after, windowMs }]);
}

/**
 * The stats of a workload served by several proxies (the pods of a Deployment): each proxy's
 * counters are differenced on their own (a restarted pod counts from zero without disturbing the
 * others), then added up — rates are the sum of each proxy's rate over its own window, latency
 * quantiles come from the summed bucket deltas, open connections are summed. For one proxy this is
 * exactly `workloadStats`.
 */
export function groupStats(pairs: readonly SnapshotPair[]): WorkloadStats {
  const of = (direction: Direction): DirectionStats => {
    let requests = 0;
    let requestsPerSecond = 0;
    let tlsRequests = 0;
    let responses = 0;
    let successes = 0;
    let openConnections = 0;
    let latency: Bucket[] = [];
    for (const { before, after, windowMs } of pairs) {
      const a = before[direction];
      const b = after[direction];
      const proxyRequests = counterDelta(a.requests, b.requests);
      requests += proxyRequests;
      requestsPerSecond += perSecond(proxyRequests, windowMs);
      tlsRequests += counterDelta(a.tlsRequests, b.tlsRequests);
      responses += counterDelta(a.responses, b.responses);
      successes += counterDelta(a.successes, b.successes);
      openConnections += b.openConnections;
      latency = addBuckets(latency, bucketDeltas(a.latencyBuckets, b.latencyBuckets));
    }
    return {
      successRate: ratio(successes, responses),
      requestsPerSecond,
      latencyMsP50: histogramQuantile(0.5, latency),
      latencyMsP95: histogramQuantile(0.95, latency),
      latencyMsP99: histogramQuantile(0.99, latency),
      tcpOpenConnections: openConnections,
      tlsShare: ratio(tlsRequests, requests),
      requests,
      responses,
    };
  };
  return { inbound: of('inbound'), outbound: of('outbound') };
}

/** Two histograms added bound by bound (a bound only one of them has keeps its own count). */
export function addBuckets(x: readonly Bucket[], y: readonly Bucket[]): Bucket[] {
  if (x.length === 0) return [...y];
  if (y.length === 0) return [...x];
  return sumBuckets(
    [...x, ...y].map((b) => ({
      labels: { le: b.le === Number.POSITIVE_INFINITY ? '+Inf' : String(b.le) },
      value: b.count,
    })),
  );
}
