import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  LATENCY_BUCKETS_MS,
  createHttpMetrics,
  createIdentityCertMetrics,
  createRegistry,
  createRouteMetrics,
  createTcpMetrics,
  findSamples,
  parsePrometheusText,
  sumSamples,
} from './index.ts';

describe('metric families', () => {
  test('expose Linkerd names, only the labels a series sets, and exact counts', async () => {
    const registry = createRegistry({ component: 'proxy', version: '0.0.0-test', collectDefaults: false });
    const http = createHttpMetrics(registry);
    const outbound = {
      direction: 'outbound',
      authority: 'web.shop.svc.cluster.local:80',
      tls: 'true',
      dst_service: 'web',
    };
    for (let i = 0; i < 7; i++) http.requestTotal.inc(outbound);
    http.requestTotal.inc({ direction: 'inbound', tls: 'no_identity', no_tls_reason: 'no_tls_from_remote' });
    http.responseTotal.inc({ ...outbound, status_code: '200', classification: 'success' }, 6);
    http.responseTotal.inc({ ...outbound, status_code: '503', classification: 'failure' });
    http.responseLatencyMs.observe({ ...outbound, status_code: '200' }, 3.5);
    http.responseLatencyMs.observe({ ...outbound, status_code: '200' }, 450);

    const parsed = parsePrometheusText(await registry.metrics());
    assert.deepEqual(parsed.errors, []);
    assert.equal(sumSamples(parsed, 'request_total', { direction: 'outbound' }), 7);
    assert.equal(sumSamples(parsed, 'request_total'), 8);
    assert.equal(sumSamples(parsed, 'response_total', { classification: 'failure' }), 1);
    const [inbound] = findSamples(parsed, 'request_total', { direction: 'inbound' });
    assert.deepEqual(inbound?.labels, {
      direction: 'inbound',
      tls: 'no_identity',
      no_tls_reason: 'no_tls_from_remote',
    });
    assert.equal(sumSamples(parsed, 'response_latency_ms_count'), 2);
    assert.equal(sumSamples(parsed, 'response_latency_ms_bucket', { le: '4' }), 1);
    assert.equal(sumSamples(parsed, 'response_latency_ms_bucket', { le: '500' }), 2);
    assert.equal(parsed.families.get('response_latency_ms')?.type, 'histogram');
    assert.equal(parsed.families.get('request_total')?.type, 'counter');
    const les = findSamples(parsed, 'response_latency_ms_bucket').map((s) => s.labels.le);
    assert.deepEqual([...new Set(les)], [...LATENCY_BUCKETS_MS.map(String), '+Inf']);
  });

  test('route, tcp and identity families carry the names dashboards expect', async () => {
    const registry = createRegistry({ component: 'proxy', version: '0.0.0-test', collectDefaults: false });
    const route = createRouteMetrics(registry);
    const tcp = createTcpMetrics(registry);
    const cert = createIdentityCertMetrics(registry);
    route.retryableTotal.inc({
      direction: 'outbound',
      dst: 'web.shop.svc.cluster.local:80',
      rt_route: 'GET /',
      skipped: 'no_budget',
    });
    tcp.openTotal.inc({
      direction: 'inbound',
      peer: 'src',
      tls: 'true',
      client_id: 'a.b.serviceaccount.identity.nodemesh.cluster.local',
    });
    tcp.openConnections.inc({ direction: 'inbound', peer: 'src' });
    cert.expirationTimestampSeconds.set(1_800_000_000);
    cert.refreshCount.inc();
    const parsed = parsePrometheusText(await registry.metrics());
    const names = new Set(parsed.samples.map((s) => s.name));
    for (const name of [
      'route_retryable_total',
      'tcp_open_total',
      'tcp_open_connections',
      'identity_cert_expiration_timestamp_seconds',
      'identity_cert_refresh_count',
      'nodemesh_build_info',
    ]) {
      assert.ok(names.has(name), `missing ${name}`);
    }
    assert.equal(sumSamples(parsed, 'identity_cert_expiration_timestamp_seconds'), 1_800_000_000);
  });

  test('registries are separate per process and per test', async () => {
    const a = createRegistry({ component: 'a', version: '1', collectDefaults: false });
    const b = createRegistry({ component: 'b', version: '1', collectDefaults: false });
    createHttpMetrics(a).requestTotal.inc({ direction: 'inbound' });
    createHttpMetrics(b);
    const parsed = parsePrometheusText(await b.metrics());
    assert.equal(sumSamples(parsed, 'request_total'), 0);
  });
});

describe('parsePrometheusText', () => {
  test('reads escaped label values, special values and timestamps', () => {
    const text = [
      '# HELP x_total A counter with "quotes".',
      '# TYPE x_total counter',
      'x_total{path="/a\\"b",msg="line\\nbreak",back="\\\\"} 3 1700000000000',
      'y +Inf',
      'z{a="1",} NaN',
    ].join('\n');
    const parsed = parsePrometheusText(text);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.samples[0]?.labels, { path: '/a"b', msg: 'line\nbreak', back: '\\' });
    assert.equal(parsed.samples[0]?.value, 3);
    assert.equal(parsed.samples[1]?.value, Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(parsed.samples[2]?.value));
    assert.equal(parsed.families.get('x_total')?.type, 'counter');
  });

  test('reports bad lines with their numbers and keeps the rest', () => {
    const parsed = parsePrometheusText('good 1\nbad{a=1} 2\n{} 3\nalso_good 4');
    assert.deepEqual(
      parsed.samples.map((s) => s.name),
      ['good', 'also_good'],
    );
    assert.deepEqual(
      parsed.errors.map((e) => e.line),
      [2, 3],
    );
  });
});
