import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import {
  createHttpMetrics,
  createRegistry,
  findSamples,
  parsePrometheusText,
  sumSamples,
} from '../../src/metrics/index.ts';
import type { ConnectionContext } from '../connection.ts';
import { endpointMetricsLayer } from './endpoint-metrics.ts';
import { ProxyError } from './proxy-error.ts';
import type { Endpoint, EndpointRequest, HttpOutcome } from './stack.ts';

function conn(direction: 'inbound' | 'outbound', tls: ConnectionContext['tls']): ConnectionContext {
  return { direction, origDst: undefined, localAddress: '127.0.0.1', clientIp: '127.0.0.2', localPort: 4143, tls };
}

function request(c: ConnectionContext, endpoint: Endpoint, authority?: string): EndpointRequest {
  return { conn: c, endpoint, authority, grpc: false, state: { attemptsRecorded: 0 } } as unknown as EndpointRequest;
}

describe('endpointMetricsLayer', () => {
  test('counts each request under its connection, authority and endpoint, reused or not', async () => {
    const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
    let status = 200;
    const service = endpointMetricsLayer(createHttpMetrics(registry))(async (): Promise<HttpOutcome> =>
      Promise.resolve({ status, grpcStatus: undefined, committed: true }),
    );
    const out = conn('outbound', { tls: 'no_identity', no_tls_reason: 'loopback' });
    const meshed: Endpoint = {
      host: '10.0.0.1',
      port: 8080,
      mesh: { identity: 'web.shop.serviceaccount.identity.nodemesh.cluster.local', inboundPort: 4143 },
      labels: { dst_service: 'web' },
    };
    const plain: Endpoint = { host: '10.0.0.2', port: 8080 };
    for (let i = 0; i < 3; i++) await service(request(out, meshed, 'web:80'));
    await service(request(out, plain, 'web:80'));
    status = 503;
    await service(request(out, meshed, 'web:80'));
    await service(request(out, meshed, 'other:80'));
    // Inbound: a fresh endpoint object per request, equal by value.
    const inbound = conn('inbound', { tls: 'true', client_id: 'a.b.serviceaccount.identity.nodemesh.cluster.local' });
    status = 200;
    for (let i = 0; i < 2; i++) await service(request(inbound, { host: '127.0.0.1', port: 8080 }));

    // Other connections: the same TLS values share the outbound series; another client identity
    // gets its own inbound one.
    await service(request(conn('outbound', { tls: 'no_identity', no_tls_reason: 'loopback' }), meshed, 'web:80'));
    const other = conn('inbound', { tls: 'true', client_id: 'c.d.serviceaccount.identity.nodemesh.cluster.local' });
    await service(request(other, { host: '127.0.0.1', port: 8080 }));

    const parsed = parsePrometheusText(await registry.metrics());
    assert.equal(sumSamples(parsed, 'request_total'), 10);
    assert.equal(
      sumSamples(parsed, 'request_total', { client_id: 'c.d.serviceaccount.identity.nodemesh.cluster.local' }),
      1,
    );
    assert.equal(sumSamples(parsed, 'request_total', { target_addr: '10.0.0.1:8080', authority: 'web:80' }), 5);
    assert.equal(findSamples(parsed, 'request_total', { target_addr: '10.0.0.1:8080', authority: 'web:80' }).length, 1);
    assert.equal(sumSamples(parsed, 'request_total', { authority: 'other:80' }), 1);
    assert.equal(sumSamples(parsed, 'request_total', { tls: 'no_identity', target_addr: '10.0.0.2:8080' }), 1);
    assert.equal(sumSamples(parsed, 'response_total', { status_code: '503', classification: 'failure' }), 2);
    assert.equal(sumSamples(parsed, 'response_latency_ms_count', { status_code: '200' }), 8);
    const [inboundSeries, ...more] = findSamples(parsed, 'request_total', {
      direction: 'inbound',
      client_id: 'a.b.serviceaccount.identity.nodemesh.cluster.local',
    });
    assert.equal(more.length, 0);
    assert.deepEqual(inboundSeries?.labels, {
      direction: 'inbound',
      target_addr: '127.0.0.1:8080',
      target_ip: '127.0.0.1',
      target_port: '8080',
      tls: 'true',
      client_id: 'a.b.serviceaccount.identity.nodemesh.cluster.local',
    });
    assert.equal(inboundSeries?.value, 2);
    const [meshedSeries] = findSamples(parsed, 'request_total', { target_addr: '10.0.0.1:8080', authority: 'web:80' });
    assert.equal(meshedSeries?.labels['server_id'], 'web.shop.serviceaccount.identity.nodemesh.cluster.local');
    assert.equal(meshedSeries?.labels['dst_service'], 'web');
    assert.equal(meshedSeries?.labels['no_tls_reason'], undefined);
  });

  test('requests in a row that differ only in TLS labels, or only in status, get their own series', async () => {
    const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
    const statuses = [200, 200, 404, 200];
    let n = 0;
    const service = endpointMetricsLayer(createHttpMetrics(registry))(async (): Promise<HttpOutcome> =>
      Promise.resolve({ status: statuses[n++]!, grpcStatus: undefined, committed: true }),
    );
    const endpoint: Endpoint = { host: '127.0.0.1', port: 8080 };
    const a = conn('inbound', { tls: 'true', client_id: 'a.b.serviceaccount.identity.nodemesh.cluster.local' });
    const c = conn('inbound', { tls: 'true', client_id: 'c.d.serviceaccount.identity.nodemesh.cluster.local' });
    for (const connection of [a, c, c, a]) await service(request(connection, endpoint));
    const parsed = parsePrometheusText(await registry.metrics());
    const idA = { client_id: 'a.b.serviceaccount.identity.nodemesh.cluster.local' };
    const idC = { client_id: 'c.d.serviceaccount.identity.nodemesh.cluster.local' };
    assert.equal(sumSamples(parsed, 'request_total', idA), 2);
    assert.equal(sumSamples(parsed, 'request_total', idC), 2);
    assert.equal(sumSamples(parsed, 'response_total', { ...idC, status_code: '404' }), 1);
    assert.equal(sumSamples(parsed, 'response_total', { ...idC, status_code: '200' }), 1);
    assert.equal(sumSamples(parsed, 'response_total', { ...idA, status_code: '200' }), 2);
  });

  test('a failed attempt counts as a failure with its error', async () => {
    const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
    const service = endpointMetricsLayer(createHttpMetrics(registry))(() =>
      Promise.reject(new ProxyError('connect-failed', 'refused')),
    );
    const c = conn('outbound', { tls: 'disabled' });
    await assert.rejects(service(request(c, { host: '10.0.0.3', port: 80 }, 'db:80')), ProxyError);
    await assert.rejects(service(request(c, { host: '10.0.0.3', port: 80 }, 'db:80')), ProxyError);
    const parsed = parsePrometheusText(await registry.metrics());
    assert.equal(sumSamples(parsed, 'request_total', { tls: 'disabled' }), 2);
    assert.equal(
      sumSamples(parsed, 'response_total', { classification: 'failure', error: 'connect-failed', status_code: '502' }),
      2,
    );
  });

  test('an inner service that throws instead of rejecting is counted and rejected the same way', async () => {
    const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
    const service = endpointMetricsLayer(createHttpMetrics(registry))(() => {
      throw new ProxyError('connect-failed', 'refused at once');
    });
    const c = conn('outbound', { tls: 'disabled' });
    let result: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      result = service(request(c, { host: '10.0.0.3', port: 80 }, 'db:80'));
    });
    await assert.rejects(result!, /refused at once/);
    const parsed = parsePrometheusText(await registry.metrics());
    assert.equal(sumSamples(parsed, 'response_total', { classification: 'failure', error: 'connect-failed' }), 1);
  });

  test("the latency starts at the request's arrival while the stack's first run lasts, else at the attempt", async () => {
    const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
    const service = endpointMetricsLayer(createHttpMetrics(registry))(async (): Promise<HttpOutcome> =>
      Promise.resolve({ status: 200, grpcStatus: undefined, committed: true }),
    );
    const c = conn('outbound', { tls: 'disabled' });
    // Arrived 400 ms ago, still in the edge's synchronous call: the clock is not read again.
    const early = request(c, { host: '10.0.0.4', port: 80 }, 'early:80');
    early.state.syncStartedAt = performance.now() - 400;
    await service(early);
    // A later attempt (a retry, after discovery): the edge cleared it, the layer reads the clock.
    const late = request(c, { host: '10.0.0.4', port: 80 }, 'late:80');
    late.state.syncStartedAt = undefined;
    await service(late);
    const parsed = parsePrometheusText(await registry.metrics());
    const earlySum = sumSamples(parsed, 'response_latency_ms_sum', { authority: 'early:80' });
    const lateSum = sumSamples(parsed, 'response_latency_ms_sum', { authority: 'late:80' });
    assert.ok(earlySum >= 400, `latency from the arrival: ${earlySum} ms`);
    assert.ok(lateSum < 400, `latency from the attempt: ${lateSum} ms`);
  });
});
