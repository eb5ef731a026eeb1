import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDropped, formatMs, formatRequest } from './tap-format.ts';
import { parseTapLine, type TapRequestLine } from './tap-line.ts';

const WIRE = {
  type: 'request',
  id: 7,
  ts: '2026-03-01T12:00:01.123Z',
  direction: 'outbound',
  method: 'GET',
  scheme: 'http',
  authority: 'web.shop.svc.cluster.local:80',
  path: '/api/items?page=2',
  status: 200,
  grpcStatus: null,
  latencyMs: 1.4237,
  durationMs: 1.61,
  clientId: 'front.shop.serviceaccount.identity.nodemesh.cluster.local',
  serverId: 'web.shop.serviceaccount.identity.nodemesh.cluster.local',
  tls: true,
  srcAddr: '127.0.11.1:50312',
  dstAddr: '127.0.10.2:8080',
  dstLabels: { dst_namespace: 'shop', dst_deployment: 'web' },
  route: 'GET /api/items',
  proxyError: null,
  error: null,
  someFutureField: 1,
};

function request(fields: Record<string, unknown> = {}): TapRequestLine {
  const line = parseTapLine(JSON.stringify({ ...WIRE, ...fields }));
  if (line?.type !== 'request') throw new Error(`not a request line: ${JSON.stringify(line)}`);
  return line;
}

describe('parseTapLine', () => {
  test('reads every line type, and keeps types it does not know', () => {
    assert.equal(request().authority, 'web.shop.svc.cluster.local:80');
    assert.deepEqual(parseTapLine('{"type":"dropped","count":3,"total":9}'), { type: 'dropped', count: 3, total: 9 });
    assert.deepEqual(parseTapLine('{"type":"end","reason":"limit"}'), { type: 'end', reason: 'limit' });
    assert.deepEqual(parseTapLine('{"type":"hello"}'), { type: 'unknown' });
    assert.equal(parseTapLine('not json'), undefined);
    assert.equal(parseTapLine('[1]'), undefined);
  });

  test('reads a request with missing or mistyped fields as empty, not as an error', () => {
    const r = parseTapLine('{"type":"request","status":"200","dstLabels":{"dst_a":"x","n":1}}');
    if (r?.type !== 'request') throw new Error('not a request line');
    assert.deepEqual([r.status, r.method, r.grpcStatus, r.dstAddr, r.dstLabels], [0, '', null, null, { dst_a: 'x' }]);
  });
});

describe('formatRequest', () => {
  test('prints one line per request, Linkerd-style', () => {
    assert.equal(
      formatRequest(request(), false),
      'req id=7 proxy=out src=127.0.11.1:50312 dst=127.0.10.2:8080 tls=true :method=GET :authority=web.shop.svc.cluster.local:80 :path=/api/items?page=2 :status=200 latency=1.42ms duration=1.61ms',
    );
  });

  test('adds grpc-status, the proxy error (quoted) and a cut-short response', () => {
    assert.equal(
      formatRequest(
        request({
          direction: 'inbound',
          method: 'POST',
          path: '/test.Echo/Unary',
          grpcStatus: 14,
          dstAddr: null,
          tls: false,
          latencyMs: 12.34,
          durationMs: 123.4,
          proxyError: 'web.shop.svc.cluster.local:80 has no endpoints',
          error: 'reset',
        }),
        false,
      ),
      'req id=7 proxy=in src=127.0.11.1:50312 dst=- tls=false :method=POST :authority=web.shop.svc.cluster.local:80 :path=/test.Echo/Unary :status=200 grpc-status=14 latency=12.3ms duration=123ms proxy-error="web.shop.svc.cluster.local:80 has no endpoints" error=reset',
    );
  });

  test('-o wide adds the time, identities, route and the destination labels', () => {
    assert.equal(
      formatRequest(request(), true),
      'req id=7 ts=2026-03-01T12:00:01.123Z proxy=out src=127.0.11.1:50312 dst=127.0.10.2:8080 tls=true :method=GET :authority=web.shop.svc.cluster.local:80 :path=/api/items?page=2 :status=200 latency=1.42ms duration=1.61ms client-id=front.shop.serviceaccount.identity.nodemesh.cluster.local server-id=web.shop.serviceaccount.identity.nodemesh.cluster.local route="GET /api/items" dst_deployment=web dst_namespace=shop',
    );
  });
});

describe('formatMs and formatDropped', () => {
  test('keeps three significant figures or so', () => {
    assert.deepEqual([0.4211, 9.999, 14.25, 99.97, 142.4, 1420.6].map(formatMs), [
      '0.42ms',
      '10.0ms',
      '14.3ms',
      '100ms',
      '142ms',
      '1421ms',
    ]);
  });

  test('says how many were dropped and what to do', () => {
    assert.equal(
      formatDropped(1, 5, '10'),
      'tap: the proxy dropped 1 request (5 in all) over the rate of 10 a second; raise --rate or narrow the filters',
    );
  });
});
