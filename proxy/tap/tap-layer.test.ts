import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRegistry } from '../../src/metrics/index.ts';
import type { ConnectionContext } from '../connection.ts';
import { ProxyError } from '../http/proxy-error.ts';
import type { Downstream, EndpointRequest, HttpRequest, HttpService } from '../http/stack.ts';
import type { TapRequestEvent } from '../../src/api/tap-event.ts';
import { TapHub, type TapFilter } from './tap-hub.ts';
import { splitTarget, tapEndpointLayer, tapLayer, type TapFields } from './tap-layer.ts';

const LOCAL = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';
const WEB = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const ANY: TapFilter = { direction: undefined, authority: undefined, path: undefined, method: undefined };

function request(fields: Partial<HttpRequest> = {}, conn: Partial<ConnectionContext> = {}): HttpRequest {
  return {
    conn: {
      direction: 'outbound',
      origDst: undefined,
      localAddress: '127.0.0.1',
      clientIp: '127.0.0.1',
      localPort: 4140,
      tls: { tls: 'no_identity' },
      ...conn,
    },
    // The tap reads only the client's port from the downstream.
    downstream: { kind: 'h1', req: { socket: { remotePort: 50123 } }, res: {} } as unknown as Downstream,
    method: 'GET',
    target: '/api/items?page=2',
    authority: 'web.shop.svc.cluster.local:80',
    headers: {},
    grpc: false,
    state: { attemptsRecorded: 0 },
    ...fields,
  };
}

/** A hub with one session collecting every event. */
function tapped(filter: Partial<TapFilter> = {}) {
  const hub = new TapHub(
    { registry: createRegistry({ component: 'proxy', version: '0', collectDefaults: false }) },
    { maxSessions: 1 },
  );
  const events: TapRequestEvent[] = [];
  const open = () =>
    hub.open({
      filter: { ...ANY, ...filter },
      limit: undefined,
      rate: 1000,
      sink: {
        offer: (line) => (events.push(JSON.parse(line) as TapRequestEvent), true),
        push: () => undefined,
        end: () => undefined,
      },
    });
  return { hub, events, open };
}

/**
 * The stack under the tap layer: a routing layer that picks a meshed endpoint and a route (as the
 * outbound stack does), the tap endpoint layer, then `forward`.
 */
function stack(forward: HttpService<EndpointRequest>): HttpService<HttpRequest & TapFields> {
  const endpoint = tapEndpointLayer()(forward);
  return (req) =>
    endpoint({
      ...req,
      route: { name: 'GET /api/items' },
      endpoint: {
        host: '10.42.0.7',
        port: 8080,
        mesh: { identity: WEB, inboundPort: 4143 },
        labels: { dst_deployment: 'web', dst_namespace: 'shop' },
      },
    } as EndpointRequest);
}

const OK = { status: 200, grpcStatus: undefined, committed: true } as const;

describe('tapLayer', () => {
  test('passes the request itself on, untouched, while nobody taps', async () => {
    const { hub } = tapped();
    const req = request();
    let seen: unknown;
    await tapLayer(hub, { localIdentity: LOCAL })((r) => {
      seen = r;
      return Promise.resolve(OK);
    })(req);
    assert.equal(seen, req);
  });

  test('passes the request on untouched when no session wants it', async () => {
    const { hub, events, open } = tapped({ direction: 'inbound' });
    open();
    const req = request();
    let seen: unknown;
    await tapLayer(hub, { localIdentity: LOCAL })((r) => {
      seen = r;
      return Promise.resolve(OK);
    })(req);
    assert.equal(seen, req);
    assert.deepEqual(events, []);
  });

  test('publishes a delivered request with its endpoint, route, identities and timings', async () => {
    const { hub, events, open } = tapped();
    open();
    const service = tapLayer(hub, { localIdentity: LOCAL })(
      stack(async (attempt) => {
        await new Promise((r) => setTimeout(r, 5));
        assert.equal(attempt.onHead?.({ status: 201, grpcStatus: undefined }), 'commit');
        await new Promise((r) => setTimeout(r, 20));
        return { status: 201, grpcStatus: undefined, committed: true };
      }),
    );
    const outcome = await service(request());
    assert.equal(outcome.status, 201);
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.deepEqual(
      {
        ...e,
        id: 0,
        ts: '',
        latencyMs: 0,
        durationMs: 0,
      },
      {
        type: 'request',
        id: 0,
        ts: '',
        direction: 'outbound',
        method: 'GET',
        scheme: 'http',
        authority: 'web.shop.svc.cluster.local:80',
        path: '/api/items?page=2',
        status: 201,
        grpcStatus: null,
        latencyMs: 0,
        durationMs: 0,
        clientId: LOCAL,
        serverId: WEB,
        tls: true,
        srcAddr: '127.0.0.1:50123',
        dstAddr: '10.42.0.7:8080',
        dstLabels: { dst_deployment: 'web', dst_namespace: 'shop' },
        route: 'GET /api/items',
        proxyError: null,
        error: null,
      },
    );
    assert.ok(e.latencyMs >= 4 && e.durationMs >= e.latencyMs + 15, `${e.latencyMs} then ${e.durationMs}`);
    assert.ok(Math.abs(Date.parse(e.ts) - Date.now()) < 5000);
  });

  test('publishes the response the proxy synthesized, with its l5d-proxy-error reason', async () => {
    const { hub, events, open } = tapped();
    open();
    const failing = tapLayer(hub, { localIdentity: undefined })(() =>
      Promise.reject(new ProxyError('no-endpoints', 'web.shop.svc.cluster.local:80 has no endpoints')),
    );
    await assert.rejects(failing(request()), ProxyError);
    await assert.rejects(failing(request({ grpc: true, method: 'POST', target: '/test.Echo/Unary' })), ProxyError);
    assert.deepEqual(
      events.map((e) => [e.status, e.grpcStatus, e.proxyError, e.dstAddr, e.tls]),
      [
        [503, null, 'web.shop.svc.cluster.local:80 has no endpoints', null, false],
        [200, 14, 'web.shop.svc.cluster.local:80 has no endpoints', null, false],
      ],
    );
    assert.equal(events[0]?.latencyMs, events[0]?.durationMs);
  });

  test('publishes a response cut short after its head with the head status and the error', async () => {
    const { hub, events, open } = tapped();
    open();
    const service = tapLayer(hub, { localIdentity: undefined })((attempt) => {
      attempt.onHead?.({ status: 200, grpcStatus: undefined });
      return Promise.reject(
        new ProxyError('upstream-reset', '127.0.0.1:8080 closed the connection mid-request: ECONNRESET'),
      );
    });
    await assert.rejects(service(request()));
    assert.deepEqual(
      [events[0]?.status, events[0]?.proxyError, events[0]?.error],
      [200, null, '127.0.0.1:8080 closed the connection mid-request: ECONNRESET'],
    );
  });

  test('records gRPC statuses from the outcome (trailers) and the peer identity inbound', async () => {
    const { hub, events, open } = tapped({ direction: 'inbound' });
    open();
    const service = tapLayer(hub, { localIdentity: WEB })((attempt) => {
      attempt.onHead?.({ status: 200, grpcStatus: undefined });
      return Promise.resolve({ status: 200, grpcStatus: '5', committed: true });
    });
    await service(
      request(
        { grpc: true, method: 'POST', target: '/test.Echo/Fail', headers: { ':scheme': 'http' } },
        { direction: 'inbound', tls: { tls: 'true', client_id: LOCAL }, clientIp: '10.42.0.9' },
      ),
    );
    const e = events[0];
    assert.deepEqual(
      [e?.direction, e?.grpcStatus, e?.clientId, e?.serverId, e?.tls, e?.srcAddr],
      ['inbound', 5, LOCAL, WEB, true, '10.42.0.9:50123'],
    );
  });

  test('records a request only while a session is open and its filter matches', async () => {
    const { hub, events, open } = tapped({ path: '/api' });
    const service = tapLayer(hub, { localIdentity: undefined })(() => Promise.resolve(OK));
    await service(request());
    open();
    await service(request({ target: '/health' }));
    await service(request());
    assert.equal(events.length, 1);
  });
});

describe('splitTarget', () => {
  test('splits origin, absolute and asterisk forms', () => {
    assert.deepEqual(splitTarget('/a/b?c=d'), { path: '/a/b?c=d' });
    assert.deepEqual(splitTarget('*'), { path: '*' });
    assert.deepEqual(splitTarget('http://web.shop:80/a?b'), { scheme: 'http', authority: 'web.shop:80', path: '/a?b' });
    assert.deepEqual(splitTarget('HTTPS://web.shop'), { scheme: 'https', authority: 'web.shop', path: '/' });
    assert.deepEqual(splitTarget('web.shop:443'), { path: 'web.shop:443' });
  });
});
