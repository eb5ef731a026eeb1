// The endpoint metrics' series, so that requests touch their request_total / response_total /
// response_latency_ms series through children instead of building and looking up a label set
// (~9 labels of 30) three times per request.
//
// Contract: the recorded series are exactly those of calling the families with the labels
// `labelsOf` builds, which must depend only on the connection's direction and TLS labels, the
// request's authority and the endpoint (host, port, mesh identity, discovery labels), all
// immutable. Entries are shared by every connection with the same values: an entry is found by a
// key built from those values (the discovery labels by object identity), so memory grows with the
// distinct label sets, as the metric's own series do, not with the connections. The cache
// remembers the entry of the last request, and each connection (WeakMap, gone with the connection)
// the entry of its own last request, so a request like the one before (the same direction, TLS
// labels object, authority and endpoint) finds it without building the key. An endpoint
// equals the remembered one when it is the same object, or has the same host, port and mesh
// identity and the same `labels` object. Per entry, the response children are keyed by status,
// classification, grpc-status and error (small sets), and the last one is remembered (response-memo.ts).

import type { ConnectionContext } from '../connection.ts';
import type { CounterChild, HistogramChild, HttpLabels, HttpMetrics } from '../../src/metrics/index.ts';
import { lookupResponse, type ResponseMemo, type ResponseOutcome } from './response-memo.ts';
import type { Endpoint, EndpointRequest } from './stack.ts';

export type EndpointResponse = ResponseOutcome;

interface ResponseChildren {
  readonly latency: HistogramChild;
  readonly total: CounterChild;
}

export interface EndpointSeries extends ResponseMemo<ResponseChildren> {
  readonly endpoint: Endpoint;
  readonly authority: string | undefined;
  /** The connection values the labels came from (the TLS labels object is immutable). */
  readonly direction: ConnectionContext['direction'];
  readonly tls: ConnectionContext['tls'];
  readonly labels: HttpLabels;
  readonly request: CounterChild;
}

/** Stands for "no discovery labels" as a WeakMap key. */
const NO_LABELS: object = Object.freeze({});

export class EndpointMetricCache {
  readonly #metrics: HttpMetrics;
  readonly #labelsOf: (req: EndpointRequest) => HttpLabels;
  /** Discovery labels object → value key → entry. */
  readonly #entries = new WeakMap<object, Map<string, EndpointSeries>>();
  readonly #lastOfConn = new WeakMap<ConnectionContext, EndpointSeries>();
  #last: EndpointSeries | undefined;

  constructor(metrics: HttpMetrics, labelsOf: (req: EndpointRequest) => HttpLabels) {
    this.#metrics = metrics;
    this.#labelsOf = labelsOf;
  }

  /** The series of `req`'s connection, authority and endpoint. */
  series(req: EndpointRequest): EndpointSeries {
    const conn = req.conn;
    const previous = this.#last;
    if (
      previous !== undefined &&
      previous.tls === conn.tls &&
      previous.direction === conn.direction &&
      previous.authority === req.authority &&
      sameEndpoint(previous.endpoint, req.endpoint)
    ) {
      return previous;
    }
    const last = this.#lastOfConn.get(conn);
    if (last !== undefined && last.authority === req.authority && sameEndpoint(last.endpoint, req.endpoint)) {
      this.#last = last;
      return last;
    }
    const labelsKey = req.endpoint.labels ?? NO_LABELS;
    let byKey = this.#entries.get(labelsKey);
    if (byKey === undefined) {
      byKey = new Map();
      this.#entries.set(labelsKey, byKey);
    }
    const key = valueKey(req);
    let series = byKey.get(key);
    if (series === undefined) {
      const labels = this.#labelsOf(req);
      series = {
        endpoint: req.endpoint,
        authority: req.authority,
        direction: conn.direction,
        tls: conn.tls,
        labels,
        request: this.#metrics.requestTotal.labels(labels),
        responses: new Map(),
        last: undefined,
      };
      byKey.set(key, series);
    }
    this.#lastOfConn.set(conn, series);
    this.#last = series;
    return series;
  }

  /** The latency and response_total children of `series` for response `r`. */
  response(series: EndpointSeries, r: EndpointResponse): ResponseChildren {
    return lookupResponse(series, r, this.#makeResponse);
  }

  readonly #makeResponse = (series: EndpointSeries, r: EndpointResponse): ResponseChildren => {
    const withStatus = { ...series.labels, status_code: String(r.status) };
    return {
      latency: this.#metrics.responseLatencyMs.labels(withStatus),
      total: this.#metrics.responseTotal.labels({
        ...withStatus,
        classification: r.classification,
        ...(r.grpcStatus === undefined ? {} : { grpc_status: r.grpcStatus }),
        ...(r.error === undefined ? {} : { error: r.error }),
      }),
    };
  };
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return (
    a === b ||
    (a.host === b.host && a.port === b.port && a.mesh?.identity === b.mesh?.identity && a.labels === b.labels)
  );
}

/**
 * Every value the labels depend on but the discovery labels: each as `<length>:<value>`, or `!`
 * when unset, so no two different sets share a key.
 */
function valueKey(req: EndpointRequest): string {
  const { conn, endpoint } = req;
  let key = part(conn.direction) + part(req.authority) + part(endpoint.host) + part(String(endpoint.port));
  key += part(endpoint.mesh?.identity);
  for (const name in conn.tls) key += part(name) + part(conn.tls[name as keyof typeof conn.tls]);
  return key;
}

function part(value: string | undefined): string {
  return value === undefined ? '!' : `${value.length}:${value}`;
}
