// Unit tests of the `nodemesh routes` arithmetic, on /metrics text as a proxy writes it: two
// scrapes of the same proxy, 10 s apart.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrometheusText } from '../../metrics/index.ts';
import {
  DEFAULT_ROUTE,
  groupRouteStats,
  isGatewaySuccess,
  routeSnapshotOf,
  routeStats,
  type RouteStats,
} from './routes-math.ts';

const BOOKS = 'books.default.svc.cluster.local:7000';

/** One scrape; `n` scales every counter (the second scrape has n = 2). */
function scrape(n: number): string {
  const bucket = (route: string, le: string, count: number): string =>
    `route_response_latency_ms_bucket{direction="outbound",dst="${BOOKS}"${route},status_code="200",le="${le}"} ${count * n}`;
  const get = ',rt_route="GET /books"';
  return `# HELP route_request_total Total count of HTTP requests per ServiceProfile route.
# TYPE route_request_total counter
route_request_total{direction="outbound",dst="${BOOKS}",rt_route="GET /books"} ${100 * n}
route_request_total{direction="outbound",dst="${BOOKS}",rt_route="POST /books"} ${20 * n}
route_request_total{direction="outbound",dst="${BOOKS}"} ${10 * n}
# HELP route_response_total Total count of HTTP responses per ServiceProfile route.
# TYPE route_response_total counter
route_response_total{direction="outbound",dst="${BOOKS}",rt_route="GET /books",status_code="200",classification="success"} ${90 * n}
route_response_total{direction="outbound",dst="${BOOKS}",rt_route="GET /books",status_code="503",classification="failure",error="response"} ${10 * n}
route_response_total{direction="outbound",dst="${BOOKS}",rt_route="POST /books",status_code="201",classification="success"} ${20 * n}
route_response_total{direction="outbound",dst="${BOOKS}",status_code="404",classification="success"} ${10 * n}
# HELP route_response_latency_ms Elapsed times per ServiceProfile route, from request headers to response end.
# TYPE route_response_latency_ms histogram
${bucket(get, '1', 0)}
${bucket(get, '10', 50)}
${bucket(get, '100', 100)}
${bucket(get, '+Inf', 100)}
route_response_latency_ms_sum{direction="outbound",dst="${BOOKS}",rt_route="GET /books",status_code="200"} ${1234 * n}
route_response_latency_ms_count{direction="outbound",dst="${BOOKS}",rt_route="GET /books",status_code="200"} ${100 * n}
${bucket('', '1', 10)}
${bucket('', '+Inf', 10)}
# HELP route_actual_request_total Total count of HTTP request attempts per route, retries included.
# TYPE route_actual_request_total counter
route_actual_request_total{direction="outbound",dst="${BOOKS}",rt_route="GET /books"} ${130 * n}
route_actual_request_total{direction="outbound",dst="${BOOKS}",rt_route="POST /books"} ${20 * n}
route_actual_request_total{direction="outbound",dst="${BOOKS}"} ${10 * n}
# HELP outbound_http_route_request_statuses_total Completed requests per Gateway API route, by HTTP status, gRPC status and proxy error.
# TYPE outbound_http_route_request_statuses_total counter
outbound_http_route_request_statuses_total{parent_name="web",parent_namespace="shop",parent_port="80",route_kind="HTTPRoute",route_name="web-canary",route_namespace="shop",http_status="200"} ${70 * n}
outbound_http_route_request_statuses_total{parent_name="web",parent_namespace="shop",parent_port="80",route_kind="HTTPRoute",route_name="web-canary",route_namespace="shop",http_status="404"} ${10 * n}
outbound_http_route_request_statuses_total{parent_name="web",parent_namespace="shop",parent_port="80",route_kind="HTTPRoute",route_name="web-canary",route_namespace="shop",http_status="503",error="fail_fast"} ${10 * n}
outbound_http_route_request_statuses_total{parent_name="web",parent_namespace="shop",parent_port="80",route_kind="HTTPRoute",route_name="web-canary",route_namespace="shop",http_status="500"} ${10 * n}
outbound_http_route_request_statuses_total{parent_name="api",parent_namespace="shop",parent_port="8080",route_kind="GRPCRoute",route_name="api-grpc",route_namespace="shop",http_status="200",grpc_status="0"} ${30 * n}
outbound_http_route_request_statuses_total{parent_name="api",parent_namespace="shop",parent_port="8080",route_kind="GRPCRoute",route_name="api-grpc",route_namespace="shop",http_status="200",grpc_status="14"} ${10 * n}
# HELP request_total Total count of HTTP requests.
# TYPE request_total counter
request_total{direction="outbound",authority="${BOOKS}",tls="true"} ${999 * n}
`;
}

function statsOf(before: string, after: string, windowMs: number): RouteStats[] {
  return routeStats(
    routeSnapshotOf(parsePrometheusText(before)),
    routeSnapshotOf(parsePrometheusText(after)),
    windowMs,
  );
}

function find(stats: readonly RouteStats[], route: string): RouteStats {
  const s = stats.find((r) => r.route === route);
  assert.ok(s, `${route} missing from ${stats.map((r) => r.route).join(', ')}`);
  return s;
}

describe('routeStats over two scrapes', () => {
  const stats = statsOf(scrape(1), scrape(2), 10_000);

  test('lists ServiceProfile routes first, [default] last of its service, then Gateway API routes', () => {
    assert.deepEqual(
      stats.map((s) => [s.source, s.service, s.route]),
      [
        ['serviceprofile', BOOKS, 'GET /books'],
        ['serviceprofile', BOOKS, 'POST /books'],
        ['serviceprofile', BOOKS, DEFAULT_ROUTE],
        ['gateway', 'api.shop:8080', 'api-grpc'],
        ['gateway', 'web.shop:80', 'web-canary'],
      ],
    );
  });

  test('a ServiceProfile route has success rate, rps, actual rps with retries, and latency quantiles', () => {
    const get = find(stats, 'GET /books');
    assert.equal(get.successRate, 0.9);
    assert.equal(get.requestsPerSecond, 10);
    assert.equal(get.actualRequestsPerSecond, 13); // 30% of the requests were retried once
    assert.equal(get.latencyMsP50, 10); // 50 of 100 at or under 10 ms
    assert.equal(get.latencyMsP95, 10 + 90 * 0.9); // interpolated in the 10..100 bucket
    assert.equal(get.latencyMsP99, 10 + 90 * 0.98);
    assert.equal(get.requests, 100);
    assert.equal(get.responses, 100);
  });

  test('requests that matched no route are [default]; its latency is its own histogram', () => {
    const d = find(stats, DEFAULT_ROUTE);
    assert.equal(d.successRate, 1);
    assert.equal(d.requestsPerSecond, 1);
    assert.equal(d.actualRequestsPerSecond, 1);
    assert.equal(d.latencyMsP50, 0.5);
  });

  test('a route without a latency histogram has undefined quantiles, not 0', () => {
    const post = find(stats, 'POST /books');
    assert.equal(post.successRate, 1);
    assert.equal(post.latencyMsP50, undefined);
    assert.equal(post.latencyMsP99, undefined);
  });

  test('an HTTPRoute counts 5xx and proxy errors as failures, with no latency and no actual rps', () => {
    const canary = find(stats, 'web-canary');
    assert.equal(canary.routeKind, 'HTTPRoute');
    assert.equal(canary.routeNamespace, 'shop');
    assert.equal(canary.requestsPerSecond, 10);
    assert.equal(canary.successRate, 0.8); // 200 and 404 succeed; 500 and the fail-fast 503 fail
    assert.equal(canary.actualRequestsPerSecond, undefined);
    assert.equal(canary.latencyMsP50, undefined);
  });

  test('a GRPCRoute counts a non-OK grpc status as a failure', () => {
    const grpc = find(stats, 'api-grpc');
    assert.equal(grpc.routeKind, 'GRPCRoute');
    assert.equal(grpc.successRate, 0.75);
    assert.equal(grpc.requestsPerSecond, 4);
  });
});

describe('routeStats edge cases', () => {
  test('a route that first appears in the second scrape counts from zero', () => {
    const stats = statsOf('', scrape(1), 5000);
    assert.equal(find(stats, 'GET /books').requestsPerSecond, 20);
    assert.equal(find(stats, 'GET /books').actualRequestsPerSecond, 26);
    assert.equal(find(stats, 'web-canary').requestsPerSecond, 20);
  });

  test('counters that went down (the proxy restarted) count from zero', () => {
    const stats = statsOf(scrape(3), scrape(1), 10_000);
    const get = find(stats, 'GET /books');
    assert.equal(get.requestsPerSecond, 10);
    assert.equal(get.successRate, 0.9);
    assert.equal(get.latencyMsP50, 10);
  });

  test('a route without traffic in the window has 0 rps and no success rate', () => {
    const stats = statsOf(scrape(1), scrape(1), 10_000);
    const get = find(stats, 'GET /books');
    assert.equal(get.requestsPerSecond, 0);
    assert.equal(get.actualRequestsPerSecond, 0);
    assert.equal(get.successRate, undefined);
    assert.equal(get.latencyMsP50, undefined);
  });

  test('a scrape without route families has no routes', () => {
    const text = 'request_total{direction="inbound"} 5\n';
    assert.deepEqual(statsOf(text, text, 1000), []);
  });

  test('the same route name under two parents is two routes', () => {
    const line = (parent: string, v: number): string =>
      `outbound_http_route_request_statuses_total{parent_name="${parent}",parent_namespace="a",route_kind="HTTPRoute",route_name="r",route_namespace="a",http_status="200"} ${v}`;
    const stats = statsOf('', `${line('x', 1)}\n${line('y', 2)}\n`, 1000);
    assert.deepEqual(
      stats.map((s) => [s.service, s.requestsPerSecond]),
      [
        ['x.a', 1],
        ['y.a', 2],
      ],
    );
  });
});

describe('isGatewaySuccess', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['a 200 succeeds', { http_status: '200' }, true],
    ['a 404 succeeds', { http_status: '404' }, true],
    ['a 500 fails', { http_status: '500' }, false],
    ['a 503 fails', { http_status: '503' }, false],
    ['a 200 with grpc_status 0 succeeds', { http_status: '200', grpc_status: '0' }, true],
    ['a 200 with an empty grpc_status succeeds', { http_status: '200', grpc_status: '' }, true],
    ['a 200 with grpc_status 14 fails', { http_status: '200', grpc_status: '14' }, false],
    ['a 200 with a proxy error fails', { http_status: '200', error: 'unexpected' }, false],
    ['a missing status fails', {}, false],
  ];
  for (const [name, labels, success] of cases) test(name, () => assert.equal(isGatewaySuccess(labels), success));
});

describe('groupRouteStats (the pods of one workload)', () => {
  const pair = (a: number, b: number, windowMs: number) => ({
    before: routeSnapshotOf(parsePrometheusText(scrape(a))),
    after: routeSnapshotOf(parsePrometheusText(scrape(b))),
    windowMs,
  });

  test("adds each route up over the pods, rates over each pod's own window", () => {
    const one = find(statsOf(scrape(1), scrape(2), 10_000), 'GET /books');
    const both = find(groupRouteStats([pair(1, 2, 10_000), pair(3, 4, 10_000)]), 'GET /books');
    assert.equal(both.requests, 2 * one.requests);
    assert.equal(both.requestsPerSecond, 2 * one.requestsPerSecond);
    assert.equal(both.actualRequestsPerSecond, 2 * (one.actualRequestsPerSecond ?? 0));
    assert.equal(both.successRate, one.successRate);
    assert.equal(both.latencyMsP50, one.latencyMsP50);
  });

  test('one pod gives exactly routeStats', () => {
    assert.deepEqual(groupRouteStats([pair(1, 2, 10_000)]), statsOf(scrape(1), scrape(2), 10_000));
  });
});
