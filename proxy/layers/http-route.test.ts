import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxyError } from '../http/proxy-error.ts';
import type { HttpOutcome, HttpRequest } from '../http/stack.ts';
import type { CompiledBackend, CompiledRule, GatewayRouting } from '../outbound/gateway-routing.ts';
import { httpRouteBackendLayer } from './http-route-backend.ts';
import { HttpRouteMetricCache, createHttpRouteMetrics } from './http-route-metric-cache.ts';
import { httpRouteLayer, type GatewayRoutableRequest } from './http-route.ts';
import { Registry } from '../../src/metrics/index.ts';

const OK: HttpOutcome = { status: 200, grpcStatus: undefined, committed: true };
const labels = {
  parent_name: 'web',
  parent_namespace: 'shop',
  parent_port: '80',
  route_kind: 'HTTPRoute',
  route_name: 'r',
  route_namespace: 'shop',
};

const backend = (
  name: string,
  weight: number,
  authority: string | undefined = `${name}.shop.svc.cluster.local:80`,
): CompiledBackend => ({
  weight,
  authority,
  labels: { ...labels, backend_name: name, backend_namespace: 'shop', backend_port: '80' },
  requestEdits: [],
  responseEdits: [],
  unsupported: undefined,
});

const rule = (backends: CompiledBackend[]): CompiledRule => ({
  labels,
  description: 'HTTPRoute shop/r rule 0',
  unsupported: undefined,
  redirect: undefined,
  redirectPrefix: undefined,
  requestEdits: [],
  responseEdits: [],
  backends,
  requestTimeoutMs: undefined,
  backendTimeoutMs: undefined,
  parentPort: 80,
  parentHost: 'web.shop.svc.cluster.local',
});

function request(routing: GatewayRouting | undefined): GatewayRoutableRequest {
  return {
    method: 'GET',
    target: '/',
    authority: 'web.shop.svc.cluster.local',
    headers: {},
    grpc: false,
    state: { attemptsRecorded: 0 },
    logical: { name: 'web.shop.svc.cluster.local:80', gatewayRouting: () => routing },
  } as unknown as GatewayRoutableRequest;
}

const routingOf = (selected: CompiledRule | undefined): GatewayRouting =>
  ({ select: () => selected }) as unknown as GatewayRouting;

describe('httpRouteLayer', () => {
  test('a target without routes goes to the profile stack with the very same request', async () => {
    const req = request(undefined);
    let passed: HttpRequest | undefined;
    const service = httpRouteLayer(() => Promise.reject(new Error('routed')))((r) => {
      passed = r;
      return Promise.resolve(OK);
    });
    await service(req);
    assert.equal(passed, req);
  });

  test('no matching rule is a no-route proxy error; a match goes to the route stack', async () => {
    const layer = httpRouteLayer<GatewayRoutableRequest>((r) =>
      Promise.resolve({ ...OK, status: r.httpRoute.parentPort }),
    );
    const service = layer(() => Promise.reject(new Error('profiled')));
    await assert.rejects(
      service(request(routingOf(undefined))),
      (err) => err instanceof ProxyError && err.failure === 'no-route',
    );
    assert.equal((await service(request(routingOf(rule([]))))).status, 80);
  });
});

describe('httpRouteBackendLayer', () => {
  const cache = new HttpRouteMetricCache(createHttpRouteMetrics(new Registry()));
  const targets = new Map([['v2.shop.svc.cluster.local:80', { name: 'v2.shop.svc.cluster.local:80' }]]);
  const resolver = { resolve: ({ authority }: { authority: string }) => targets.get(authority) };

  async function sendTo(backends: CompiledBackend[], random: number): Promise<string> {
    let name = '';
    const service = httpRouteBackendLayer(
      resolver,
      cache,
      () => random,
    )((r) => {
      name = r.logical.name;
      return Promise.resolve(OK);
    });
    await service({
      ...request(undefined),
      logical: { name: 'web.shop.svc.cluster.local:80' },
      httpRoute: rule(backends),
    });
    return name;
  }

  test('picks by weight, a backend naming the target is the target, weight 0 gets nothing', async () => {
    const backends = [backend('web', 90), backend('v2', 10), backend('off', 0)];
    assert.equal(await sendTo(backends, 0.5), 'web.shop.svc.cluster.local:80');
    assert.equal(await sendTo(backends, 0.95), 'v2.shop.svc.cluster.local:80');
    assert.equal(await sendTo(backends, 0.9999), 'v2.shop.svc.cluster.local:80');
  });

  test('no weight, a non-Service backend and an unknown Service are no-backend errors (500)', async () => {
    const noBackend = (err: unknown): boolean => err instanceof ProxyError && err.failure === 'no-backend';
    await assert.rejects(sendTo([backend('off', 0)], 0.5), noBackend);
    await assert.rejects(sendTo([backend('bucket', 1, undefined)], 0.5), noBackend);
    await assert.rejects(sendTo([backend('gone', 1)], 0.5), noBackend);
  });
});
