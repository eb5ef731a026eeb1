// The endpoint metrics layer: Linkerd's request_total, response_total and response_latency_ms for
// every attempt sent to an endpoint (retries are attempts of their own, as in Linkerd's proxy),
// labelled with the direction, TLS labels (inbound: the client's connection; outbound: the
// connection to the endpoint, `server_id` its identity), the endpoint's address and its discovery
// labels (`dst_*`), and on outbound the request's authority.
//
// Contract: counts request_total when the attempt starts and response_total / the latency when it
// ends — delivered, discarded by a layer above, or failed (then `classification="failure"` and
// `error` naming the failure). Marks the request's state so the edge does not count it again.

import type { HttpLabels, HttpMetrics } from '../../src/metrics/index.ts';
import { classifyDefault } from './classify.ts';
import { EndpointMetricCache } from './endpoint-metric-cache.ts';
import { ProxyError } from './proxy-error.ts';
import { failureOutcome } from './response-memo.ts';
import {
  callInner,
  formatEndpoint,
  layerStart,
  type EndpointRequest,
  type HttpLayer,
  type HttpOutcome,
} from './stack.ts';
import { performance } from 'node:perf_hooks';

export function endpointMetricsLayer(metrics: HttpMetrics): HttpLayer<EndpointRequest> {
  // The series are looked up once per connection and endpoint, not per request.
  const cache = new EndpointMetricCache(metrics, endpointLabels);
  // Not an async function: its frame would live as long as the attempt; two continuations do not.
  return (inner) => (req) => {
    const series = cache.series(req);
    series.request.inc();
    req.state.attemptsRecorded++;
    const started = layerStart(req.state);
    return callInner(inner, req).then(
      (outcome: HttpOutcome) => {
        const end = cache.response(series, {
          status: outcome.status,
          classification: classifyDefault(outcome.status, outcome.grpcStatus),
          grpcStatus: outcome.grpcStatus,
          error: undefined,
        });
        end.latency.observe(performance.now() - started);
        end.total.inc();
        return outcome;
      },
      (err: unknown) => {
        const end = cache.response(series, failureOutcome(err, req.grpc));
        end.latency.observe(performance.now() - started);
        end.total.inc();
        throw err;
      },
    );
  };
}

/** Records a response (or a failure, when `outcome` is undefined) under `labels`. */
export function recordResponse(
  metrics: HttpMetrics,
  labels: HttpLabels,
  started: number,
  outcome: { readonly status: number; readonly grpcStatus: string | undefined } | undefined,
  err: unknown,
  synthesized?: { readonly status: number; readonly grpcStatus: string | undefined },
): void {
  const status = outcome?.status ?? synthesized?.status;
  const grpcStatus = outcome?.grpcStatus ?? synthesized?.grpcStatus;
  const withStatus = status === undefined ? labels : { ...labels, status_code: String(status) };
  metrics.responseLatencyMs.observe(withStatus, performance.now() - started);
  metrics.responseTotal.inc({
    ...withStatus,
    classification: outcome === undefined ? 'failure' : classifyDefault(outcome.status, outcome.grpcStatus),
    ...(grpcStatus === undefined ? {} : { grpc_status: grpcStatus }),
    ...(outcome === undefined ? { error: err instanceof ProxyError ? err.failure : 'unexpected' } : {}),
  });
}

/** Labels of a request before an endpoint is known: direction, TLS, and the outbound authority. */
export function requestLabels(req: Pick<EndpointRequest, 'conn' | 'authority'>): HttpLabels {
  const conn = req.conn;
  const labels: HttpLabels = { direction: conn.direction, ...conn.tls };
  if (conn.direction === 'outbound' && req.authority !== undefined) labels.authority = req.authority;
  return labels;
}

function endpointLabels(req: EndpointRequest): HttpLabels {
  const { endpoint, conn } = req;
  const labels = requestLabels(req);
  if (conn.direction === 'outbound' && conn.tls.tls !== 'disabled') {
    // Outbound, the TLS labels describe the connection to the endpoint (as Linkerd's): mTLS with
    // the identity discovery gave it, or none because discovery gave none.
    delete labels.no_tls_reason;
    delete labels.client_id;
    if (endpoint.mesh !== undefined) {
      labels.tls = 'true';
      labels.server_id = endpoint.mesh.identity;
    } else {
      labels.tls = 'no_identity';
      labels.no_tls_reason = 'not_provided_by_service_discovery';
    }
  }
  labels.target_addr = formatEndpoint(endpoint);
  labels.target_ip = endpoint.host;
  labels.target_port = String(endpoint.port);
  if (endpoint.labels !== undefined) Object.assign(labels, endpoint.labels);
  return labels;
}
