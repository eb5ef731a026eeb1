// The JSON the dashboard server serves at GET /api/snapshot, shared by the server and the page
// (dashboard/src imports these types only). Every number is what the server computed from one round
// of scrapes; `null` means "no data" (no requests in the window, an empty histogram).
//
// Contract: types only, no runtime code, no Node.js imports (the browser build reads this file).

export interface DirectionView {
  readonly successRate: number | null;
  readonly requestsPerSecond: number;
  readonly latencyMsP50: number | null;
  readonly latencyMsP95: number | null;
  readonly latencyMsP99: number | null;
  readonly tcpOpenConnections: number;
  readonly tlsShare: number | null;
  readonly requests: number;
  readonly responses: number;
}

/** The proxies' own counters at this round's scrape (cumulative, as /metrics shows them). */
export interface CounterTotals {
  readonly inboundRequests: number;
  readonly outboundRequests: number;
  readonly inboundResponses: number;
  readonly outboundResponses: number;
}

export interface WorkloadView {
  readonly workload: string;
  readonly proxy: string;
  readonly admin: string;
  readonly identity: string | null;
  /** ok: two scrapes paired; warming: first scrape only (rates next round); unreachable: no answer. */
  readonly status: 'ok' | 'warming' | 'unreachable';
  readonly error: string | null;
  /** The time between this proxy's two scrapes (null unless ok). */
  readonly windowMs: number | null;
  readonly inbound: DirectionView | null;
  readonly outbound: DirectionView | null;
  readonly totals: CounterTotals | null;
}

export interface RouteView {
  readonly workload: string;
  readonly source: string;
  readonly service: string;
  readonly route: string;
  readonly successRate: number | null;
  readonly requestsPerSecond: number;
  readonly actualRequestsPerSecond: number | null;
  readonly latencyMsP50: number | null;
  readonly latencyMsP95: number | null;
  readonly latencyMsP99: number | null;
}

export interface EdgeView {
  readonly src: string;
  readonly dst: string;
  readonly srcId: string | null;
  readonly dstId: string | null;
  readonly srcKnown: boolean;
  readonly dstKnown: boolean;
  readonly seenBy: 'outbound' | 'inbound';
  readonly requestsPerSecond: number;
  readonly successRate: number | null;
  readonly mtlsShare: number | null;
  readonly requests: number;
  readonly responses: number;
}

export interface SplitBackendView {
  readonly backend: string;
  /** Requests the callers sent to this backend in the window, and its share of the split's. */
  readonly requests: number;
  readonly share: number | null;
  /** Requests since the proxies started (cumulative). */
  readonly total: number;
  /** The weight configured for it (ServiceProfile dstOverrides), null when none is known. */
  readonly configuredWeight: number | null;
  readonly configuredShare: number | null;
}

export interface SplitView {
  /** The apex the callers addressed (authority, or a Gateway API parent). */
  readonly apex: string;
  readonly source: 'serviceprofile' | 'gateway';
  readonly backends: readonly SplitBackendView[];
}

export interface HistoryPoint {
  /** Unix time, seconds. */
  readonly t: number;
  readonly workloads: Readonly<
    Record<
      string,
      {
        readonly rpsIn: number | null;
        readonly rpsOut: number | null;
        readonly successIn: number | null;
        readonly successOut: number | null;
        readonly p99In: number | null;
        readonly p99Out: number | null;
      }
    >
  >;
}

export interface DashboardSnapshot {
  /** Rounds of scrapes since the server started; the page shows it so a test can match rounds. */
  readonly seq: number;
  /** When this round's scrapes finished (ISO 8601). */
  readonly takenAt: string;
  readonly intervalMs: number;
  /** Why there is nothing to show (no mesh running), null otherwise. */
  readonly problem: string | null;
  readonly workloads: readonly WorkloadView[];
  readonly routes: readonly RouteView[];
  readonly edges: readonly EdgeView[];
  readonly splits: readonly SplitView[];
  readonly history: readonly HistoryPoint[];
}
