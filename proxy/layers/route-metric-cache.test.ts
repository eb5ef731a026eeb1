import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRegistry, createRouteMetrics, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { RouteMetricCache } from './route-metric-cache.ts';

describe('RouteMetricCache', () => {
  test('records each response under its own route and status, whatever came just before', async () => {
    const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
    const cache = new RouteMetricCache(createRouteMetrics(registry));
    const ok = { status: 200, classification: 'success', grpcStatus: undefined, error: undefined } as const;
    const failed = { status: 503, classification: 'failure', grpcStatus: undefined, error: 'load-shed' } as const;
    // Alternate routes and answers so every remembered entry is both hit and missed.
    const plan: [string, string | undefined, typeof ok | typeof failed][] = [
      ['web', undefined, ok],
      ['web', undefined, ok],
      ['web', 'GET /a', ok],
      ['web', 'GET /a', failed],
      ['web', undefined, failed],
      ['api', undefined, ok],
      ['web', undefined, ok],
      ['web', 'GET /a', failed],
    ];
    for (const [dst, rt, r] of plan) {
      const route = cache.route(dst, rt);
      route.request.inc();
      cache.response(route, r).total.inc();
    }
    assert.equal(cache.route('web', undefined), cache.route('web', undefined), 'the same children every time');
    assert.notEqual(cache.route('web', undefined), cache.route('web', 'GET /a'));
    const parsed = parsePrometheusText(await registry.metrics());
    const count = (match: Record<string, string>): number => sumSamples(parsed, 'route_response_total', match);
    assert.equal(count({ dst: 'web', status_code: '200' }), 4);
    assert.equal(count({ dst: 'web', rt_route: 'GET /a', status_code: '503', error: 'load-shed' }), 2);
    assert.equal(count({ dst: 'web', rt_route: 'GET /a', status_code: '200' }), 1);
    assert.equal(count({ dst: 'api', status_code: '200' }), 1);
    assert.equal(count({ status_code: '503' }), 3);
    assert.equal(sumSamples(parsed, 'route_request_total', { dst: 'web' }), 7);
  });
});
