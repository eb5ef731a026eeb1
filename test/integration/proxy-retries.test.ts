// ServiceProfile routes on a real proxy (linkerd.md §4.7–4.8): route matching and route metrics,
// retries within the budget (with request bodies replayed up to 64 KiB), the budget running out,
// route timeouts, gRPC statuses classified from trailers before a retry is decided, and
// l5d-require-id.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createH2Server, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AUTHORITY, SERVICE, startOutboundProxy, type OutboundProxy } from '../support/outbound-proxy.ts';

/** An HTTP/1 app whose behaviour per request the test decides. */
async function app(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('proxy routes, retries and timeouts', () => {
  let proxy: OutboundProxy;
  let server: Server;
  /** Counts per path, so each route's failure pattern is deterministic. */
  const seen = new Map<string, number>();
  const bodies: string[] = [];

  before(async () => {
    const started = await app((req, res, body) => {
      const path = req.url ?? '/';
      const n = (seen.get(path) ?? 0) + 1;
      seen.set(path, n);
      if (path.startsWith('/flaky')) {
        // Every other request fails.
        res.statusCode = n % 2 === 1 ? 500 : 200;
        res.end(`attempt ${n}`);
      } else if (path.startsWith('/always-fails')) {
        res.statusCode = 503;
        res.end('down');
      } else if (path.startsWith('/upload')) {
        bodies.push(sha(body));
        // The first attempt of each upload fails; its retry succeeds.
        res.statusCode = n % 2 === 1 ? 500 : 200;
        res.end(sha(body));
      } else if (path.startsWith('/slow')) {
        setTimeout(() => res.end('late'), 2000);
      } else {
        res.end('ok');
      }
    });
    server = started.server;
    proxy = await startOutboundProxy();
    proxy.setEndpoints([started.port]);
    proxy.setProfile(`routes:
- name: flaky
  condition: { method: GET, pathRegex: /flaky }
  isRetryable: true
- name: always-fails
  condition: { pathRegex: /always-fails }
  isRetryable: true
- name: upload
  condition: { method: POST, pathRegex: /upload/.* }
  isRetryable: true
- name: slow
  condition: { pathRegex: /slow }
  timeout: 300ms
- name: books
  condition: { all: [{ method: GET }, { pathRegex: '/books/[^/]+' }] }
retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s }`);
  });

  after(async () => {
    await proxy.close();
    server.close();
  });

  test('a route failing half the time succeeds with retries, within the budget', async () => {
    const replies = [];
    for (let i = 0; i < 40; i++) replies.push(await proxy.get('/flaky'));
    const ok = replies.filter((r) => r.status === 200).length;
    assert.equal(ok, 40, `${ok}/40 succeeded`);
    const retried = await proxy.metric('route_retryable_total', { rt_route: 'flaky' });
    assert.equal(retried, 40, 'one retry per request (every first attempt failed)');
    assert.equal(await proxy.metric('route_request_total', { rt_route: 'flaky' }), 40);
    assert.equal(await proxy.metric('route_actual_request_total', { rt_route: 'flaky' }), 80);
    assert.equal(
      await proxy.metric('route_response_total', { rt_route: 'flaky', classification: 'success', dst: AUTHORITY }),
      40,
    );
    assert.equal(
      await proxy.metric('route_actual_response_total', { rt_route: 'flaky', classification: 'failure' }),
      40,
    );
  });

  test('a POST with a 10 KiB body is retried and received intact', async () => {
    const body = Buffer.alloc(10 * 1024, 'a');
    body.write('a body that must arrive whole', 100);
    const reply = await proxy.get('/upload/small', { method: 'POST', body });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, sha(body));
    assert.deepEqual(bodies.slice(-2), [sha(body), sha(body)], 'both attempts carried the whole body');
  });

  test('a 1 MiB body is not retried', async () => {
    const before = bodies.length;
    const body = Buffer.alloc(1024 * 1024, 'b');
    const reply = await proxy.get('/upload/large', { method: 'POST', body });
    assert.equal(reply.status, 500, 'the failure is delivered as it is');
    assert.equal(bodies.length - before, 1, 'one attempt only');
    assert.equal(bodies.at(-1), sha(body));
  });

  test('a route timeout answers 504 with l5d-proxy-error', async () => {
    const reply = await proxy.get('/slow');
    assert.equal(reply.status, 504);
    assert.match(
      String(reply.headers['l5d-proxy-error']),
      /route slow of web\.shop\.svc\.cluster\.local:80 timed out after 300ms/,
    );
    assert.equal(
      await proxy.metric('route_response_total', { rt_route: 'slow', status_code: '504', error: 'response-timeout' }),
      1,
    );
  });

  test('route metrics count a known request mix', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await proxy.get(`/books/${i}`)).status, 200);
    await proxy.get('/books/1/reviews');
    await proxy.get('/other');
    assert.equal(await proxy.metric('route_request_total', { rt_route: 'books' }), 3);
    assert.equal(
      await proxy.metric('route_response_total', { rt_route: 'books', status_code: '200', classification: 'success' }),
      3,
    );
    const histogram = await proxy.metric('route_response_latency_ms_count', { rt_route: 'books' });
    assert.equal(histogram, 3);
    // Requests matching no route are counted under the profile's default route (no rt_route).
    const all = await proxy.metric('route_request_total', { dst: AUTHORITY });
    const named = ['flaky', 'always-fails', 'upload', 'slow', 'books'];
    let routed = 0;
    for (const r of named) routed += await proxy.metric('route_request_total', { rt_route: r });
    assert.equal(all - routed, 2);
  });

  test('with the budget exhausted, failures reach the client and no_budget is counted', async () => {
    const replies = [];
    for (let i = 0; i < 200; i++) replies.push(await proxy.get('/always-fails'));
    const failed = replies.filter((r) => r.status === 503).length;
    assert.equal(failed, 200, 'every request fails in the end');
    const refused = await proxy.metric('route_retryable_total', { rt_route: 'always-fails', skipped: 'no_budget' });
    const total = await proxy.metric('route_retryable_total', { rt_route: 'always-fails' });
    const made = total - refused;
    assert.ok(refused > 0, 'some retries were refused by the budget');
    // The budget: a reserve of 10/s × 10 s plus 0.2 per retryable request in the window. Deposits:
    // 40 flaky + 2 uploads + 200 here; earlier withdrawals: 40 flaky + 1 upload.
    const allowed = 100 + Math.floor(0.2 * 242) - 41;
    assert.ok(made <= allowed, `retries made ${made} stay within the budget (${allowed})`);
    assert.ok(made >= 50, `retries made ${made} use the budget`);
    assert.equal(await proxy.metric('route_actual_request_total', { rt_route: 'always-fails' }), 200 + made);
  });

  test('l5d-require-id refuses an endpoint without that identity', async () => {
    const reply = await proxy.get('/books/7', { headers: { 'l5d-require-id': 'web.shop.serviceaccount.identity.x' } });
    assert.equal(reply.status, 502);
    assert.match(
      String(reply.headers['l5d-proxy-error']),
      /l5d-require-id asks for web\.shop\.serviceaccount\.identity\.x/,
    );
  });
});

describe('gRPC retries classify the status in trailers', () => {
  let proxy: OutboundProxy;
  let server: Http2Server;
  let calls = 0;

  before(async () => {
    server = createH2Server();
    server.on('stream', (stream: ServerHttp2Stream) => {
      stream.resume();
      stream.on('end', () => {
        calls++;
        if (calls % 2 === 1) {
          // Headers, then trailers with UNAVAILABLE and no message: classified before anything is sent on.
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '14', 'grpc-message': 'try again' }));
          stream.end();
        } else {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]));
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    proxy = await startOutboundProxy();
    proxy.setEndpoints([(server.address() as AddressInfo).port]);
    proxy.setProfile(`routes:
- name: say
  condition: { method: POST, pathRegex: /test\\.Echo/Say }
  isRetryable: true`);
  });

  after(async () => {
    await proxy.close();
    server.close();
  });

  test('an UNAVAILABLE in trailers is retried and the client sees OK', async () => {
    const session = connect(`http://127.0.0.1:${proxy.port}`);
    try {
      for (let i = 0; i < 5; i++) {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/test.Echo/Say',
          ':authority': SERVICE,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
        const [trailers] = (await Promise.all([once(stream, 'trailers'), stream.toArray()]))[0] as [
          Record<string, string>,
        ];
        assert.equal(trailers['grpc-status'], '0', `call ${i} succeeded`);
      }
    } finally {
      session.close();
    }
    assert.equal(calls, 10, 'each call took two attempts');
    assert.equal(await proxy.metric('route_retryable_total', { rt_route: 'say' }), 5);
  });
});

describe('ingress mode: l5d-dst-override names the logical target', () => {
  let proxy: OutboundProxy;
  let server: Server;

  before(async () => {
    const started = await app((req, res) =>
      res.end(`override header seen: ${String(req.headers['l5d-dst-override'])}`),
    );
    server = started.server;
    proxy = await startOutboundProxy({ NODEMESH_PROXY_INGRESS_MODE: 'true' });
    proxy.setEndpoints([started.port]);
    proxy.setProfile(`routes:
- name: any
  condition: { pathRegex: /.* }`);
  });

  after(async () => {
    await proxy.close();
    server.close();
  });

  test('a request for another host is routed to the Service the header names, and the header is stripped', async () => {
    const reply = await proxy.get('/', {
      headers: { host: 'shop.example.com', 'l5d-dst-override': AUTHORITY },
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'override header seen: undefined');
    assert.equal(await proxy.metric('route_request_total', { dst: AUTHORITY, rt_route: 'any' }), 1);
  });
});
