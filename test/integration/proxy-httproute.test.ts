// Gateway API routes on a real proxy (ADR 0012): HTTPRoutes and GRPCRoutes carried in the profile
// of web.shop pick the rule (header canary, path precedence, gRPC method), split by weight (also
// live, under load), edit headers both ways, redirect, time out, answer 404 when nothing matches;
// a profile with dstOverrides and no routes still splits as before.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { status as GrpcStatus, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { echoClient, grpcEcho } from '../support/grpc-echo.ts';
import { AUTHORITY, startOutboundProxy, type OutboundProxy } from '../support/outbound-proxy.ts';

interface Seen {
  readonly name: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** An upstream that answers JSON naming itself and what it received; /slow answers after 1 s. */
async function version(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const answer = (): void => {
      res.setHeader('x-served-by', name);
      res.setHeader('x-internal', 'secret');
      res.end(JSON.stringify({ name, url: req.url, headers: req.headers }));
    };
    if (req.url?.startsWith('/slow') === true) setTimeout(answer, 1000);
    else answer();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

const endpointAt = (port: number) => ({ host: '127.0.0.1', port, weight: 10_000, protocolHint: undefined, labels: {} });

const PARENT = `parentRefs:
    - group: ''
      kind: Service
      name: web
      port: 80`;

/** An HTTPRoute on web.shop:80 with the given rules (YAML indented for `spec.rules`). */
const httpRoute = (name: string, rules: string): string => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: shop
  creationTimestamp: '2026-01-01T00:00:00Z'
spec:
  ${PARENT}
  rules:
${rules.replace(/^/gm, '    ')}
`;

const split = (v1: number, v2: number): string =>
  httpRoute(
    'web-split',
    `- backendRefs:
    - name: web-v1
      port: 80
      weight: ${v1}
    - name: web-v2
      port: 80
      weight: ${v2}`,
  );

describe('Gateway API routes in the outbound proxy', () => {
  let proxy: OutboundProxy;
  const servers: Server[] = [];

  before(async () => {
    const v1 = await version('v1');
    const v2 = await version('v2');
    servers.push(v1.server, v2.server);
    proxy = await startOutboundProxy();
    proxy.setEndpoints([v1.port]);
    proxy.resolver.setEndpoints('web-v1.shop.svc.cluster.local:80', [endpointAt(v1.port)]);
    proxy.resolver.setEndpoints('web-v2.shop.svc.cluster.local:80', [endpointAt(v2.port)]);
  });

  after(async () => {
    await proxy.close();
    for (const s of servers) s.close();
  });

  async function seen(path: string, headers: Record<string, string> = {}): Promise<Seen> {
    const reply = await proxy.get(path, { headers });
    assert.equal(reply.status, 200, `${path}: ${reply.status} ${String(reply.headers['l5d-proxy-error'])}`);
    return JSON.parse(reply.body) as Seen;
  }

  async function count(total: number, concurrency: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next++;
          const { name } = await seen('/');
          counts[name] = (counts[name] ?? 0) + 1;
        }
      }),
    );
    return counts;
  }

  test('header canary: x-canary: true goes to v2, everything else to v1', async () => {
    proxy.setGatewayRoutes(
      httpRoute(
        'web-canary',
        `- matches:
    - headers:
        - name: x-canary
          value: 'true'
  backendRefs:
    - name: web-v2
      port: 80
- backendRefs:
    - name: web-v1
      port: 80`,
      ),
    );
    for (let i = 0; i < 10; i++) {
      assert.equal((await seen('/', { 'x-canary': 'true' })).name, 'v2');
      assert.equal((await seen('/')).name, 'v1');
      assert.equal((await seen('/', { 'x-canary': 'false' })).name, 'v1');
    }
    const labels = { route_name: 'web-canary', route_kind: 'HTTPRoute', parent_name: 'web', parent_port: '80' };
    assert.equal(
      await proxy.metric('outbound_http_route_request_statuses_total', { ...labels, http_status: '200' }),
      30,
    );
    assert.equal(
      await proxy.metric('outbound_http_route_backend_requests_total', { ...labels, backend_name: 'web-v2' }),
      10,
    );
    assert.equal(
      await proxy.metric('outbound_http_route_backend_requests_total', { ...labels, backend_name: 'web-v1' }),
      20,
    );
  });

  test('90/10 over 2,000 requests falls within 5 standard deviations of 200 for v2', async (t) => {
    proxy.setGatewayRoutes(split(90, 10));
    const counts = await count(2000, 20);
    // Binomial(n = 2,000, p = 0.1): mean 200, sd √180 ≈ 13.4; ±5 sd is [133, 267] (false alarm < 1e-6).
    const v2 = counts['v2'] ?? 0;
    t.diagnostic(`90/10 split: v1 ${counts['v1'] ?? 0}, v2 ${v2} of 2,000`);
    assert.equal((counts['v1'] ?? 0) + v2, 2000);
    assert.ok(v2 >= 133 && v2 <= 267, `v2 got ${v2} of 2,000`);
  });

  test('weight changes apply live under steady load with no failed request', async () => {
    proxy.setGatewayRoutes(split(1, 0));
    const counts: Record<string, number>[] = [];
    let phase = 0;
    let stop = false;
    let failures = 0;
    const load = Array.from({ length: 10 }, async () => {
      while (!stop) {
        const reply = await proxy.get('/');
        if (reply.status !== 200) failures++;
        else {
          const { name } = JSON.parse(reply.body) as Seen;
          const bucket = (counts[phase] ??= {});
          bucket[name] = (bucket[name] ?? 0) + 1;
        }
      }
    });
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));
    await settle();
    for (const [v1, v2] of [
      [50, 50],
      [0, 1],
    ] as const) {
      proxy.setGatewayRoutes(split(v1, v2));
      // Requests already in flight when the weights change keep the backend they were sent to.
      phase = -1;
      await new Promise((r) => setTimeout(r, 20));
      phase = v2 === 1 ? 2 : 1;
      await settle();
    }
    stop = true;
    await Promise.all(load);
    assert.equal(failures, 0);
    assert.equal(counts[0]?.['v2'], undefined, 'v2 got traffic at weight 0');
    assert.ok((counts[1]?.['v1'] ?? 0) > 0 && (counts[1]?.['v2'] ?? 0) > 0, JSON.stringify(counts[1]));
    assert.equal(counts[2]?.['v1'], undefined, 'v1 got traffic at weight 0');
    assert.ok((counts[2]?.['v2'] ?? 0) > 0);
  });

  test('path precedence: Exact beats a prefix, a longer prefix beats a shorter one, prefixes are element-wise', async () => {
    proxy.setGatewayRoutes(
      httpRoute(
        'web-paths',
        `- matches:
    - path:
        type: PathPrefix
        value: /books
  backendRefs:
    - name: web-v1
      port: 80
- matches:
    - path:
        type: Exact
        value: /books
    - path:
        type: PathPrefix
        value: /books/v2
  backendRefs:
    - name: web-v2
      port: 80`,
      ),
    );
    assert.equal((await seen('/books')).name, 'v2');
    assert.equal((await seen('/books/1')).name, 'v1');
    assert.equal((await seen('/books/v2/1?x=1')).name, 'v2');
    const miss = await proxy.get('/booksx');
    assert.equal(miss.status, 404);
    assert.match(
      String(miss.headers['l5d-proxy-error']),
      /no route of web\.shop\.svc\.cluster\.local:80 matches GET \/booksx/,
    );
  });

  test('request and response header modifiers, rule and backend, reach the upstream and the client', async () => {
    proxy.setGatewayRoutes(
      httpRoute(
        'web-headers',
        `- filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
          - name: x-env
            value: canary
        add:
          - name: x-tag
            value: added
        remove: [x-secret]
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set:
          - name: x-served-by
            value: mesh
        remove: [x-internal]
  backendRefs:
    - name: web-v1
      port: 80
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set:
              - name: x-backend
                value: v1
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            add:
              - name: x-backend-answer
                value: 'yes'`,
      ),
    );
    const reply = await proxy.get('/', { headers: { 'x-env': 'prod', 'x-tag': 'client', 'x-secret': 'pw' } });
    assert.equal(reply.status, 200);
    const upstream = JSON.parse(reply.body) as Seen;
    assert.equal(upstream.headers['x-env'], 'canary');
    assert.equal(upstream.headers['x-tag'], 'client,added');
    assert.equal(upstream.headers['x-secret'], undefined);
    assert.equal(upstream.headers['x-backend'], 'v1');
    assert.equal(reply.headers['x-served-by'], 'mesh');
    assert.equal(reply.headers['x-internal'], undefined);
    assert.equal(reply.headers['x-backend-answer'], 'yes');
  });

  test('RequestRedirect answers with a Location built from the request and the filter', async () => {
    proxy.setGatewayRoutes(
      httpRoute(
        'web-redirect',
        `- matches:
    - path:
        type: PathPrefix
        value: /old
  filters:
    - type: RequestRedirect
      requestRedirect:
        scheme: https
        hostname: new.example.com
        path:
          type: ReplacePrefixMatch
          replacePrefixMatch: /new
        statusCode: 301
- matches:
    - path:
        type: Exact
        value: /moved
  filters:
    - type: RequestRedirect
      requestRedirect:
        port: 8080
        path:
          type: ReplaceFullPath
          replaceFullPath: /here`,
      ),
    );
    const moved = await proxy.get('/old/page?x=1');
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, 'https://new.example.com/new/page?x=1');
    const found = await proxy.get('/moved');
    assert.equal(found.status, 302);
    assert.equal(found.headers.location, 'http://web.shop.svc.cluster.local:8080/here');
  });

  test('timeouts.request and timeouts.backendRequest answer 504 with l5d-proxy-error', async () => {
    proxy.setGatewayRoutes(
      httpRoute(
        'web-timeouts',
        `- matches:
    - path:
        type: PathPrefix
        value: /slow/request
  timeouts:
    request: 200ms
  backendRefs:
    - name: web-v1
      port: 80
- matches:
    - path:
        type: PathPrefix
        value: /slow/backend
  timeouts:
    request: 10s
    backendRequest: 200ms
  backendRefs:
    - name: web-v1
      port: 80
- backendRefs:
    - name: web-v1
      port: 80`,
      ),
    );
    const started = performance.now();
    const request = await proxy.get('/slow/request');
    assert.equal(request.status, 504);
    assert.ok(performance.now() - started < 900, 'the request timeout did not cut the wait');
    assert.match(String(request.headers['l5d-proxy-error']), /timed out after 200ms \(timeouts\.request\)/);
    const backend = await proxy.get('/slow/backend');
    assert.equal(backend.status, 504);
    assert.match(String(backend.headers['l5d-proxy-error']), /timed out after 200ms \(timeouts\.backendRequest\)/);
    assert.equal((await seen('/fast')).name, 'v1');
    assert.equal(
      await proxy.metric('outbound_http_route_request_statuses_total', {
        route_name: 'web-timeouts',
        http_status: '504',
        error: 'response-timeout',
      }),
      2,
    );
  });

  test('no matching rule answers 404 with l5d-proxy-error; a backend without weight answers 500', async () => {
    proxy.setGatewayRoutes(
      httpRoute(
        'web-api',
        `- matches:
    - path:
        type: PathPrefix
        value: /api
  backendRefs:
    - name: web-v1
      port: 80
- matches:
    - path:
        type: PathPrefix
        value: /off
  backendRefs:
    - name: web-v1
      port: 80
      weight: 0`,
      ),
    );
    const miss = await proxy.get('/other');
    assert.equal(miss.status, 404);
    assert.match(String(miss.headers['l5d-proxy-error']), /no route/);
    assert.equal((await proxy.get('/off')).status, 500);
    assert.equal((await seen('/api/x')).name, 'v1');
  });

  test('a profile with dstOverrides and no routes still splits as before', async () => {
    proxy.setProfile(`dstOverrides:
- authority: web-v1.shop.svc.cluster.local:80
  weight: 500m
- authority: web-v2.shop.svc.cluster.local:80
  weight: 500m`);
    const counts = await count(200, 10);
    assert.equal((counts['v1'] ?? 0) + (counts['v2'] ?? 0), 200);
    assert.ok((counts['v1'] ?? 0) > 50 && (counts['v2'] ?? 0) > 50, JSON.stringify(counts));
    // /other matched no route above; with the ServiceProfile it is served.
    assert.equal((await proxy.get('/other')).status, 200);
  });
});

describe('GRPCRoute in the outbound proxy', () => {
  let proxy: OutboundProxy;
  const echoes: { port: number; close: () => Promise<void> }[] = [];

  before(async () => {
    echoes.push(await grpcEcho(), await grpcEcho());
    proxy = await startOutboundProxy();
    proxy.setEndpoints([echoes[0]!.port]);
    proxy.resolver.setEndpoints('echo-a.shop.svc.cluster.local:80', [endpointAt(echoes[0]!.port)]);
    proxy.resolver.setEndpoints('echo-b.shop.svc.cluster.local:80', [endpointAt(echoes[1]!.port)]);
  });

  after(async () => {
    await proxy.close();
    for (const e of echoes) await e.close();
  });

  beforeEach(() =>
    proxy.setGatewayRoutes(`apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: echo-methods
  namespace: shop
spec:
  ${PARENT}
  rules:
    - matches:
        - method:
            service: test.Echo
            method: Unary
      filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            set:
              - name: x-route
                value: unary
      backendRefs:
        - name: echo-a
          port: 80
    - matches:
        - method:
            service: test.Echo
            method: ServerStream
      backendRefs:
        - name: echo-b
          port: 80
---
${httpRoute('web-http-only', '- backendRefs:\n    - name: echo-a\n      port: 80')}`),
  );

  test('routes calls by method with a real grpc-js client; an unmatched method is UNIMPLEMENTED', async () => {
    const client = echoClient(`127.0.0.1:${proxy.port}`, AUTHORITY);
    try {
      let initial: Metadata | undefined;
      const unary = await new Promise<Buffer>((resolve, reject) => {
        const call = client.makeUnaryRequest(
          '/test.Echo/Unary',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from('one'),
          (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res ?? Buffer.alloc(0))),
        );
        call.on('metadata', (m: Metadata) => (initial = m));
      });
      assert.equal(unary.toString(), 'one');
      assert.equal(initial?.get('x-route')[0], 'unary');

      const streamed: string[] = [];
      const stream = client.makeServerStreamRequest(
        '/test.Echo/ServerStream',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from('s'),
      );
      stream.on('data', (d: Buffer) => streamed.push(d.toString()));
      await once(stream, 'end');
      assert.deepEqual(streamed, ['s-0', 's-1', 's-2']);

      const failure = await new Promise<ServiceError>((resolve) =>
        client.makeUnaryRequest(
          '/test.Echo/Fail',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(''),
          (err: ServiceError | null) => resolve(err as ServiceError),
        ),
      );
      assert.equal(failure.code, GrpcStatus.UNIMPLEMENTED);

      const backend = (name: string): Promise<number> =>
        proxy.metric('outbound_http_route_backend_requests_total', {
          route_kind: 'GRPCRoute',
          route_name: 'echo-methods',
          backend_name: name,
        });
      assert.equal(await backend('echo-a'), 1);
      assert.equal(await backend('echo-b'), 1);
      assert.equal(
        await proxy.metric('outbound_http_route_request_statuses_total', {
          route_name: 'echo-methods',
          grpc_status: '0',
        }),
        2,
      );
    } finally {
      client.close();
    }
  });

  test('plain HTTP requests use the HTTPRoutes of the same profile', async () => {
    const reply = await proxy.get('/anything');
    // The echo server speaks HTTP/2 only: what matters is that the HTTPRoute was chosen.
    assert.equal(
      await proxy.metric('outbound_http_route_backend_requests_total', { route_name: 'web-http-only' }),
      1,
      `status ${reply.status}`,
    );
  });
});
