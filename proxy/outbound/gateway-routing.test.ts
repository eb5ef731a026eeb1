import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/log/index.ts';
import { defaultDestinationProfile } from '../../src/profiles/index.ts';
import { compileGatewayRouting, contextNamespace } from './gateway-routing.ts';

const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

const route = (namespace: string, name: string, backend: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'web', namespace: 'shop', port: 80 }],
      rules: [{ backendRefs: [{ name: backend, port: 8080 }], ...extra }],
    },
  });

const profile = (routes: string[]) => ({
  ...defaultDestinationProfile('web.shop.svc.cluster.local'),
  gatewayRoutes: routes,
});
const request = { method: 'GET', target: '/x', authority: 'web.shop.svc.cluster.local', headers: {}, grpc: false };

describe('compileGatewayRouting', () => {
  test('skips routes that are not JSON or not valid, and compiles the rest', () => {
    const routing = compileGatewayRouting(
      profile(['{nope', JSON.stringify({ kind: 'HTTPRoute' }), route('shop', 'r', 'web-v1')]),
      {
        target: 'web.shop.svc.cluster.local:80',
        clientNamespace: undefined,
        log,
      },
    );
    const rule = routing?.select(request);
    assert.equal(rule?.backends[0]?.authority, 'web-v1.shop.svc.cluster.local:8080');
    assert.deepEqual(rule?.labels, {
      parent_name: 'web',
      parent_namespace: 'shop',
      parent_port: '80',
      route_kind: 'HTTPRoute',
      route_name: 'r',
      route_namespace: 'shop',
    });
  });

  test('nothing usable, or a name that is not a Service, gives no routing', () => {
    const opts = { target: 'web.shop.svc.cluster.local:80', clientNamespace: undefined, log };
    assert.equal(compileGatewayRouting(profile(['{nope']), opts), undefined);
    const odd = { ...profile([route('shop', 'r', 'web-v1')]), fullyQualifiedName: '10.0.0.1' };
    assert.equal(compileGatewayRouting(odd, opts), undefined);
  });

  test('consumer routes of the client namespace replace the producer routes', () => {
    const routes = [route('shop', 'producer', 'web-v1'), route('checkout', 'consumer', 'web-v2')];
    const target = 'web.shop.svc.cluster.local:80';
    const fromCheckout = compileGatewayRouting(profile(routes), { target, clientNamespace: 'checkout', log });
    const fromShop = compileGatewayRouting(profile(routes), { target, clientNamespace: undefined, log });
    assert.equal(fromCheckout?.select(request)?.labels.route_name, 'consumer');
    assert.equal(fromShop?.select(request)?.labels.route_name, 'producer');
  });

  test('gRPC requests fall back to the HTTPRoutes when no GRPCRoute applies; timeouts of 0s are none', () => {
    const routing = compileGatewayRouting(
      profile([route('shop', 'r', 'web-v1', { timeouts: { request: '0s', backendRequest: '0s' } })]),
      {
        target: 'web.shop.svc.cluster.local:80',
        clientNamespace: undefined,
        log,
      },
    );
    const rule = routing?.select({ ...request, target: '/pkg.Svc/Call', grpc: true });
    assert.equal(rule?.labels.route_name, 'r');
    assert.equal(rule?.requestTimeoutMs, undefined);
  });

  test('unsupported filters are named on the rule', () => {
    const routing = compileGatewayRouting(
      profile([
        route('shop', 'r', 'web-v1', { filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'x.example' } }] }),
      ]),
      { target: 'web.shop.svc.cluster.local:80', clientNamespace: undefined, log },
    );
    assert.equal(routing?.select(request)?.unsupported, 'URLRewrite');
  });
});

describe('contextNamespace', () => {
  for (const [token, ns] of [
    ['{"ns":"shop"}', 'shop'],
    ['{"ns":"shop","nodeName":"n1"}', 'shop'],
    ['', undefined],
    ['{"ns":""}', undefined],
    ['not json', undefined],
  ] as const) {
    test(`${JSON.stringify(token)} → ${String(ns)}`, () => assert.equal(contextNamespace(token), ns));
  }
});
