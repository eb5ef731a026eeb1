// The lines of a tap stream (ADR 0013, "Tap"): newline-delimited JSON served by GET /tap on the
// proxy's control port (proxy/tap writes them). This is the wire form, shared by the proxy and
// `nodemesh tap` (src/cli/tap/tap-line.ts reads it, tolerating what a newer proxy may add).
//
// Contract: every line is one JSON object with a `type`. A `request` line describes one finished
// request (its response delivered, or synthesized by the proxy); every field is present, `null`
// when unknown. A `dropped` line counts the requests this session matched but did not receive
// since the previous such line (rate limit, or a client reading too slowly); at most one a second.
// An `end` line is the last line when the proxy ends the stream itself.

export interface TapRequestEvent {
  readonly type: 'request';
  /** A number per request, increasing, unique within this proxy process. */
  readonly id: number;
  /** When the request arrived (ISO 8601, UTC). */
  readonly ts: string;
  readonly direction: 'inbound' | 'outbound';
  readonly method: string;
  readonly scheme: string;
  readonly authority: string;
  /** The request target's path and query ('*' for OPTIONS *). */
  readonly path: string;
  /** The HTTP status the client got (200 for a gRPC error the proxy synthesized). */
  readonly status: number;
  readonly grpcStatus: number | null;
  /** Milliseconds from the request's arrival to its response head (synthesized: to the answer). */
  readonly latencyMs: number;
  /** Milliseconds from the request's arrival to the end of its response. */
  readonly durationMs: number;
  /** The client's mesh identity (inbound: the peer's, outbound: this proxy's), over mTLS only. */
  readonly clientId: string | null;
  /** The server's mesh identity (inbound: this proxy's, outbound: the endpoint's), over mTLS only. */
  readonly serverId: string | null;
  /** True when the hop this event describes was mTLS (inbound: from the client; outbound: to the endpoint). */
  readonly tls: boolean;
  /** The client's address (ip:port, or ip when the port is unknown). */
  readonly srcAddr: string;
  /** The endpoint the request was sent to (ip:port), null when none was chosen. */
  readonly dstAddr: string | null;
  /** The endpoint's discovery labels (`dst_*`), as in the metrics. */
  readonly dstLabels: Readonly<Record<string, string>>;
  /** The ServiceProfile route (rt_route) or Gateway API rule that matched. */
  readonly route: string | null;
  /** The l5d-proxy-error reason when the proxy synthesized the response. */
  readonly proxyError: string | null;
  /** Why the response was cut short after its head was sent (the client saw a reset). */
  readonly error: string | null;
}

export interface TapDroppedEvent {
  readonly type: 'dropped';
  /** Requests dropped since the previous dropped line. */
  readonly count: number;
  /** Requests dropped since the session began. */
  readonly total: number;
}

export type TapEndReason = 'limit' | 'shutdown';

export interface TapEndEvent {
  readonly type: 'end';
  readonly reason: TapEndReason;
}

export type TapLine = TapRequestEvent | TapDroppedEvent | TapEndEvent;
