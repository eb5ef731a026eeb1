// Unit tests of the `nodemesh stat` arithmetic: deltas, rates, quantiles and whole snapshots.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrometheusText } from '../../metrics/index.ts';
import {
  bucketDeltas,
  addBuckets,
  counterDelta,
  groupStats,
  histogramQuantile,
  perSecond,
  ratio,
  snapshotOf,
  sumBuckets,
  workloadStats,
} from './stat-math.ts';

const INF = Number.POSITIVE_INFINITY;

describe('counters and rates', () => {
  test('counterDelta is the growth, or the new value after a reset', () => {
    assert.equal(counterDelta(10, 25), 15);
    assert.equal(counterDelta(10, 10), 0);
    assert.equal(counterDelta(100, 7), 7);
  });

  test('ratio is undefined without a whole', () => {
    assert.equal(ratio(3, 4), 0.75);
    assert.equal(ratio(0, 0), undefined);
  });

  test('perSecond scales by the window', () => {
    assert.equal(perSecond(50, 5000), 10);
    assert.equal(perSecond(5, 200), 25);
    assert.equal(perSecond(5, 0), 0);
  });
});

describe('histogramQuantile', () => {
  test('interpolates linearly inside the bucket the rank falls in', () => {
    const buckets = [
      { le: 1, count: 0 },
      { le: 2, count: 0 },
      { le: 5, count: 10 },
      { le: INF, count: 10 },
    ];
    assert.equal(histogramQuantile(0.5, buckets), 3.5);
    assert.equal(histogramQuantile(1, buckets), 5);
  });

  test('the first bucket starts at 0', () => {
    assert.equal(
      histogramQuantile(0.5, [
        { le: 10, count: 4 },
        { le: INF, count: 4 },
      ]),
      5,
    );
  });

  test('a rank in +Inf gives the highest finite bound', () => {
    const buckets = [
      { le: 1, count: 1 },
      { le: 10, count: 2 },
      { le: INF, count: 100 },
    ];
    assert.equal(histogramQuantile(0.99, buckets), 10);
  });

  test('matches a spread histogram', () => {
    // 100 observations: 50 in (0,10], 40 in (10,20], 10 in (20,50].
    const buckets = [
      { le: 10, count: 50 },
      { le: 20, count: 90 },
      { le: 50, count: 100 },
      { le: INF, count: 100 },
    ];
    assert.equal(histogramQuantile(0.5, buckets), 10);
    assert.equal(histogramQuantile(0.95, buckets), 35);
    assert.ok(Math.abs((histogramQuantile(0.99, buckets) ?? 0) - 47) < 1e-9);
  });

  test('is undefined for an empty histogram', () => {
    assert.equal(histogramQuantile(0.5, []), undefined);
    assert.equal(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: INF, count: 0 },
      ]),
      undefined,
    );
  });

  test('does not depend on bucket order', () => {
    const buckets = [
      { le: INF, count: 10 },
      { le: 5, count: 10 },
      { le: 1, count: 0 },
    ];
    assert.equal(histogramQuantile(0.5, buckets), 3);
  });
});

describe('buckets', () => {
  test('sumBuckets adds label sets with the same bound and sorts', () => {
    const got = sumBuckets([
      { labels: { le: '+Inf' }, value: 3 },
      { labels: { le: '1' }, value: 1 },
      { labels: { le: '1' }, value: 2 },
      { labels: { le: '+Inf' }, value: 4 },
      { labels: {}, value: 99 },
    ]);
    assert.deepEqual(got, [
      { le: 1, count: 3 },
      { le: INF, count: 7 },
    ]);
  });

  test('bucketDeltas subtracts bound by bound, and keeps the new counts after a reset', () => {
    const before = [
      { le: 1, count: 2 },
      { le: INF, count: 5 },
    ];
    assert.deepEqual(
      bucketDeltas(before, [
        { le: 1, count: 4 },
        { le: INF, count: 9 },
      ]),
      [
        { le: 1, count: 2 },
        { le: INF, count: 4 },
      ],
    );
    assert.deepEqual(
      bucketDeltas(before, [
        { le: 1, count: 1 },
        { le: INF, count: 1 },
      ]),
      [
        { le: 1, count: 1 },
        { le: INF, count: 1 },
      ],
    );
  });
});

function scrape(n: number): string {
  // n successes over mTLS and n/2 failures in plaintext inbound; n outbound successes.
  const lines = [
    '# TYPE request_total counter',
    `request_total{direction="inbound",tls="true"} ${n}`,
    `request_total{direction="inbound",tls="no_identity"} ${n / 2}`,
    `request_total{direction="outbound",tls="true"} ${n}`,
    '# TYPE response_total counter',
    `response_total{direction="inbound",tls="true",status_code="200",classification="success"} ${n}`,
    `response_total{direction="inbound",tls="no_identity",status_code="500",classification="failure"} ${n / 2}`,
    `response_total{direction="outbound",tls="true",status_code="200",classification="success"} ${n}`,
    '# TYPE response_latency_ms histogram',
    `response_latency_ms_bucket{direction="inbound",status_code="200",le="1"} 0`,
    `response_latency_ms_bucket{direction="inbound",status_code="200",le="10"} ${n}`,
    `response_latency_ms_bucket{direction="inbound",status_code="200",le="+Inf"} ${n}`,
    `response_latency_ms_bucket{direction="inbound",status_code="500",le="1"} 0`,
    `response_latency_ms_bucket{direction="inbound",status_code="500",le="10"} ${n / 2}`,
    `response_latency_ms_bucket{direction="inbound",status_code="500",le="+Inf"} ${n / 2}`,
    '# TYPE tcp_open_connections gauge',
    `tcp_open_connections{direction="inbound",peer="src"} 3`,
    `tcp_open_connections{direction="outbound",peer="dst"} 1`,
  ];
  return `${lines.join('\n')}\n`;
}

describe('workloadStats', () => {
  test('turns two snapshots into success rate, rps, latency, connections and mTLS share', () => {
    const before = snapshotOf(parsePrometheusText(scrape(100)));
    const after = snapshotOf(parsePrometheusText(scrape(140)));
    const stats = workloadStats(before, after, 2000);
    assert.equal(stats.inbound.requests, 60);
    assert.equal(stats.inbound.requestsPerSecond, 30);
    assert.ok(Math.abs((stats.inbound.successRate ?? 0) - 2 / 3) < 1e-9);
    assert.ok(Math.abs((stats.inbound.tlsShare ?? 0) - 2 / 3) < 1e-9);
    assert.equal(stats.inbound.latencyMsP50, 5.5);
    assert.equal(stats.inbound.tcpOpenConnections, 3);
    assert.equal(stats.outbound.successRate, 1);
    assert.equal(stats.outbound.requestsPerSecond, 20);
    assert.equal(stats.outbound.tcpOpenConnections, 1);
  });

  test('an idle window has no rates', () => {
    const snap = snapshotOf(parsePrometheusText(scrape(10)));
    const stats = workloadStats(snap, snap, 1000);
    assert.equal(stats.inbound.requestsPerSecond, 0);
    assert.equal(stats.inbound.successRate, undefined);
    assert.equal(stats.inbound.tlsShare, undefined);
    assert.equal(stats.inbound.latencyMsP99, undefined);
  });
});

describe('groupStats (the pods of one workload)', () => {
  const snap = (n: number) => snapshotOf(parsePrometheusText(scrape(n)));

  test("adds up the pods: rates over each pod's own window, shares over the summed counts", () => {
    const stats = groupStats([
      { before: snap(100), after: snap(140), windowMs: 2000 },
      { before: snap(10), after: snap(30), windowMs: 1000 },
    ]);
    // Pod 1: 60 inbound requests in 2 s; pod 2: 30 in 1 s.
    assert.equal(stats.inbound.requests, 90);
    assert.equal(stats.inbound.requestsPerSecond, 30 + 30);
    assert.ok(Math.abs((stats.inbound.successRate ?? 0) - 2 / 3) < 1e-9);
    assert.ok(Math.abs((stats.inbound.tlsShare ?? 0) - 2 / 3) < 1e-9);
    assert.equal(stats.inbound.latencyMsP50, 5.5);
    assert.equal(stats.inbound.tcpOpenConnections, 6);
    assert.equal(stats.outbound.requestsPerSecond, 20 + 20);
  });

  test('a pod that restarted counts from zero without disturbing the others', () => {
    const stats = groupStats([
      { before: snap(100), after: snap(140), windowMs: 1000 },
      { before: snap(500), after: snap(20), windowMs: 1000 },
    ]);
    assert.equal(stats.outbound.requests, 40 + 20);
  });

  test('one pod gives exactly workloadStats', () => {
    assert.deepEqual(
      groupStats([{ before: snap(1), after: snap(7), windowMs: 900 }]),
      workloadStats(snap(1), snap(7), 900),
    );
  });

  test('addBuckets adds counts bound by bound', () => {
    assert.deepEqual(
      addBuckets(
        [
          { le: 1, count: 2 },
          { le: INF, count: 3 },
        ],
        [
          { le: 1, count: 1 },
          { le: 5, count: 4 },
          { le: INF, count: 4 },
        ],
      ),
      [
        { le: 1, count: 3 },
        { le: 5, count: 4 },
        { le: INF, count: 7 },
      ],
    );
  });
});
