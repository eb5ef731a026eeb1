// Route metrics without per-request label lookups: the children for a route's label set (and for
// each status and classification seen on it) are looked up once and kept, and a child touches its
// series directly. One cache per registry's RouteMetrics, shared by the route and
// attempt layers.
//
// Contract: the recorded series are exactly those of calling the families with the same labels.
// The last route looked up is remembered, and per route its last response (lookupResponse):
// requests in a row mostly go to the same route and get the same answer.
// Memory grows with the routes (dst × rt_route) and the distinct status / classification /
// grpc_status / error values seen on each, which are all small sets.

import type { RouteMetrics } from '../../src/metrics/index.ts';
import { lookupResponse, type ResponseMemo, type ResponseOutcome } from '../http/response-memo.ts';
import type { RouteLabels } from './route.ts';

/** What the layers use of a metric child. */
interface CounterChild {
  inc(value?: number): void;
}
interface HistogramChild {
  observe(value: number): void;
}

interface ResponseChildren {
  readonly total: CounterChild;
  readonly latency: HistogramChild;
  readonly actual: CounterChild;
}

export interface RouteChildren extends ResponseMemo<ResponseChildren> {
  readonly labels: RouteLabels;
  readonly request: CounterChild;
  readonly actualRequest: CounterChild;
}

export interface RouteResponse {
  readonly status: number;
  readonly classification: 'success' | 'failure';
  readonly grpcStatus: string | undefined;
  readonly error: string | undefined;
}

export class RouteMetricCache {
  readonly metrics: RouteMetrics;
  readonly #routes = new Map<string, RouteChildren>();
  #lastDst: string | undefined;
  #lastRtRoute: string | undefined;
  #lastRoute: RouteChildren | undefined;

  constructor(metrics: RouteMetrics) {
    this.metrics = metrics;
  }

  /** The children of route `rtRoute` (undefined: the default route) of `dst`. */
  route(dst: string, rtRoute: string | undefined): RouteChildren {
    if (this.#lastRoute !== undefined && dst === this.#lastDst && rtRoute === this.#lastRtRoute) return this.#lastRoute;
    const key = rtRoute === undefined ? dst : `${dst}\u0000${rtRoute}`;
    let route = this.#routes.get(key);
    if (route === undefined) {
      const labels: RouteLabels =
        rtRoute === undefined ? { direction: 'outbound', dst } : { direction: 'outbound', dst, rt_route: rtRoute };
      route = {
        labels,
        request: this.metrics.requestTotal.labels({ ...labels }),
        actualRequest: this.metrics.actualRequestTotal.labels({ ...labels }),
        responses: new Map(),
        last: undefined,
      };
      this.#routes.set(key, route);
    }
    this.#lastDst = dst;
    this.#lastRtRoute = rtRoute;
    this.#lastRoute = route;
    return route;
  }

  response(route: RouteChildren, r: RouteResponse): ResponseChildren {
    return lookupResponse(route, r, this.#makeResponse);
  }

  readonly #makeResponse = (route: RouteChildren, r: ResponseOutcome): ResponseChildren => {
    const status = String(r.status);
    const end = {
      ...route.labels,
      status_code: status,
      classification: r.classification,
      ...(r.grpcStatus === undefined ? {} : { grpc_status: r.grpcStatus }),
      ...(r.error === undefined ? {} : { error: r.error }),
    };
    return {
      total: this.metrics.responseTotal.labels(end),
      latency: this.metrics.responseLatencyMs.labels({ ...route.labels, status_code: status }),
      actual: this.metrics.actualResponseTotal.labels(end),
    };
  };
}
