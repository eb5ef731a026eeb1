// Two proxies with mTLS between them, on loopback: app A → proxy A (outbound) → a tapping relay →
// proxy B (inbound) → app B. The outbound resolver (here a static one, later discovery) says the
// endpoint is meshed with B's identity, so A opens TLS 1.3 to B's inbound port with SNI = that
// identity and the transport header naming the app's port. Proves: B's app learns A's identity;
// HTTP/1, HTTP/2, gRPC and opaque TCP cross; the relay sees no plaintext; a peer with the wrong
// identity is refused (502), never reached in plaintext.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect as tcpConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ProxyApp, type ProxyAddresses } from '../../proxy/app.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import { FunctionTargets } from '../../proxy/outbound/function-targets.ts';
import type { Endpoint } from '../../proxy/http/http-proxy.ts';
import type { OriginalDestinationReader, SocketAddressPort } from '../../proxy/transport/original-dst.ts';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { createTestCa, type TestCa } from '../../src/testing/index.ts';
import { echoClient, grpcEcho } from '../support/grpc-echo.ts';
import { h1Echo, h2Echo, tcpEcho, type Upstream } from '../support/upstreams.ts';
import { staticIdentitySource } from '../support/test-identities.ts';

const A = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';
const B = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const run = promisify(execFile);
const silent = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

function identityEnv(ca: TestCa, local: string): Record<string, string> {
  return {
    NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: '127.0.0.1:0',
    NODEMESH_PROXY_INBOUND_LISTEN_ADDR: '127.0.0.1:0',
    NODEMESH_PROXY_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
    NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
    NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: ca.anchor.certificatePem,
    NODEMESH_PROXY_IDENTITY_SVC_ADDR: '127.0.0.1:1',
    NODEMESH_PROXY_IDENTITY_SVC_NAME: 'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
    NODEMESH_PROXY_IDENTITY_LOCAL_NAME: local,
  };
}

/** A TCP relay that records every byte going towards B. */
async function tappingRelay(
  to: () => number,
): Promise<{ port: number; captured: () => Buffer; accepted: () => number; close: () => void }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted++;
    const upstream = tcpConnect(to(), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => chunks.push(d));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    captured: () => Buffer.concat(chunks),
    accepted: () => accepted,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

// Twice: HTTP/1 between the proxies as pooled HTTP/1 connections, and carried over HTTP/2.
for (const h1OverH2 of [false, true])
  describe(`mTLS between two proxies${h1OverH2 ? ', HTTP/1 carried over HTTP/2' : ''}`, () => {
    let ca: TestCa;
    let proxyA: ProxyApp;
    let proxyB: ProxyApp;
    let addrA: ProxyAddresses;
    let addrB: ProxyAddresses;
    let relay: Awaited<ReturnType<typeof tappingRelay>>;
    let h1: Upstream;
    let h2: Upstream;
    let echo: Upstream;
    let grpc: { port: number; close: () => Promise<void> };
    const registryB = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
    const redirectsA: SocketAddressPort[] = [];
    let claimedIdentity = B;
    let impostorPort: number | undefined;
    const registryA = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });

    before(async () => {
      ca = await createTestCa();
      [h1, h2, echo, grpc] = await Promise.all([h1Echo(), h2Echo(), tcpEcho(), grpcEcho()]);
      proxyB = new ProxyApp({
        config: parseProxyConfig(identityEnv(ca, B)),
        registry: registryB,
        log: silent,
        identity: { source: await staticIdentitySource(ca, B), trust: ca.trust },
      });
      addrB = await proxyB.start();
      relay = await tappingRelay(() => addrB.inbound.port);
      const ports: Record<string, number> = { h1: h1.port, h2: h2.port, grpc: grpc.port, tcp: echo.port };
      // web-<kind>.shop.svc.cluster.local → B's app port of that kind, meshed, through the relay.
      const resolver = new FunctionTargets(({ authority, origDst }): Endpoint | undefined => {
        const kind =
          origDst?.host === '127.0.0.99' ? 'tcp' : /^web-(\w+)\.shop\.svc\.cluster\.local/.exec(authority ?? '')?.[1];
        const port = kind === undefined ? undefined : ports[kind];
        if (port === undefined) return undefined;
        return {
          host: '127.0.0.1',
          port,
          mesh: { identity: claimedIdentity, inboundPort: impostorPort ?? relay.port },
        };
      });
      const fakeRedirects: OriginalDestinationReader = { read: () => redirectsA.shift() };
      proxyA = new ProxyApp({
        config: parseProxyConfig({
          ...identityEnv(ca, A),
          NODEMESH_PROXY_OUTBOUND_DETECT_TIMEOUT: '200ms',
          NODEMESH_PROXY_OUTBOUND_HTTP1_OVER_HTTP2: String(h1OverH2),
        }),
        log: silent,
        registry: registryA,
        identity: { source: await staticIdentitySource(ca, A), trust: ca.trust },
        outboundTargets: resolver,
        originalDestination: fakeRedirects,
      });
      addrA = await proxyA.start();
    });
    after(async () => {
      await proxyA.shutdown(100);
      await proxyB.shutdown(100);
      relay.close();
      await Promise.all([h1.close(), h2.close(), echo.close(), grpc.close()]);
    });

    const outbound = (): string => `127.0.0.1:${addrA.outbound[0]?.port}`;

    test("HTTP/1.1 crosses over mTLS and B's app sees A's identity; the wire shows no plaintext", async () => {
      const { stdout } = await run('curl', [
        '-sS',
        '--max-time',
        '10',
        `http://${outbound()}/very-secret-path`,
        '-H',
        'Host: web-h1.shop.svc.cluster.local',
        '-H',
        'x-password: hunter2',
      ]);
      const seen = JSON.parse(stdout) as { url: string; headers: Record<string, string> };
      assert.equal(seen.url, '/very-secret-path');
      assert.equal(seen.headers['l5d-client-id'], A);
      assert.equal(seen.headers['x-password'], 'hunter2');
      // A GET has no body on the way either (over HTTP/2: END_STREAM on HEADERS, not an empty chunked body).
      assert.equal(seen.headers['transfer-encoding'], undefined);
      const wire = relay.captured();
      assert.ok(wire.length > 0, 'traffic went through the relay');
      for (const secret of ['very-secret-path', 'hunter2', 'web-h1', 'transport.l5d.io/v1\r\n']) {
        assert.equal(wire.includes(secret), false, `plaintext ${JSON.stringify(secret)} on the wire`);
      }
    });

    test('concurrent HTTP/1 requests share connections to the peer', async () => {
      const before = relay.accepted();
      const replies = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          run('curl', [
            '-sS',
            '--max-time',
            '10',
            `http://${outbound()}/c${i}`,
            '-H',
            'Host: web-h1.shop.svc.cluster.local',
          ]),
        ),
      );
      replies.forEach(({ stdout }, i) => assert.equal((JSON.parse(stdout) as { url: string }).url, `/c${i}`));
      const opened = relay.accepted() - before;
      // Over HTTP/2 one connection per peer carries them all (it was opened by the first test).
      if (h1OverH2) assert.equal(opened, 0, `${opened} new connections to the peer`);
      else assert.ok(opened <= 6, `${opened} new connections to the peer`);
    });

    test('clients that close their connection after each request do not cost a connection to the peer', async () => {
      const before = relay.accepted();
      const [host, port] = outbound().split(':');
      for (let i = 0; i < 20; i++) {
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = tcpConnect(Number(port), host);
          let text = '';
          socket.setEncoding('latin1');
          socket.on('data', (d: string) => (text += d));
          socket.on('error', reject);
          socket.on('close', () => resolve(text));
          socket.write(`GET /close-${i} HTTP/1.1\r\nHost: web-h1.shop.svc.cluster.local\r\nConnection: close\r\n\r\n`);
        });
        assert.match(answer, /^HTTP\/1\.1 200 /);
        assert.ok(answer.includes(`/close-${i}`), answer);
      }
      const opened = relay.accepted() - before;
      assert.ok(opened <= 1, `${opened} new connections to the peer for 20 sequential requests`);
    });

    test('HTTP/1 bodies, trailers and large responses cross intact', async () => {
      const upload = await run('curl', [
        '-sS',
        '--max-time',
        '10',
        `http://${outbound()}/upload`,
        '-H',
        'Host: web-h1.shop.svc.cluster.local',
        '--data-binary',
        'x'.repeat(100_000),
      ]);
      const seen = JSON.parse(upload.stdout) as { method: string; bodyBytes: number; httpVersion: string };
      assert.equal(seen.method, 'POST');
      assert.equal(seen.bodyBytes, 100_000);
      assert.equal(seen.httpVersion, '1.1', 'the app is spoken to in HTTP/1.1 either way');
      const trailers = await run('curl', [
        '-sS',
        '--raw',
        '--max-time',
        '10',
        `http://${outbound()}/trailers`,
        '-H',
        'Host: web-h1.shop.svc.cluster.local',
      ]);
      assert.match(trailers.stdout, /body/);
      assert.match(trailers.stdout, /x-checksum: abc123/i);
      const big = await run('curl', [
        '-sS',
        '--max-time',
        '20',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code} %{size_download}',
        `http://${outbound()}/bytes/5000000`,
        '-H',
        'Host: web-h1.shop.svc.cluster.local',
      ]);
      assert.equal(big.stdout, '200 5000000');
    });

    test('HTTP/2 and gRPC cross over mTLS', async () => {
      const { stdout } = await run('curl', [
        '-sS',
        '--max-time',
        '10',
        '--http2-prior-knowledge',
        `http://${outbound()}/h2`,
        '-H',
        'Host: web-h2.shop.svc.cluster.local',
      ]);
      assert.equal((JSON.parse(stdout) as { path: string }).path, '/h2');
      const client = echoClient(outbound(), 'web-grpc.shop.svc.cluster.local:80');
      try {
        const reply = await new Promise<Buffer>((resolve, reject) =>
          client.makeUnaryRequest(
            '/test.Echo/Unary',
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from('over mtls'),
            (e: ServiceError | null, r?: Buffer) => (e ? reject(e) : resolve(r ?? Buffer.alloc(0))),
          ),
        );
        assert.equal(reply.toString(), 'over mtls');
        const failure = await new Promise<ServiceError>((resolve) =>
          client.makeUnaryRequest(
            '/test.Echo/Fail',
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from(''),
            (e: ServiceError | null) => resolve(e as ServiceError),
          ),
        );
        assert.equal(failure.code, GrpcStatus.PERMISSION_DENIED);
      } finally {
        client.close();
      }
    });

    test('opaque TCP crosses over mTLS with the transport header', async () => {
      redirectsA.push({ host: '127.0.0.99', port: 9000 });
      const socket = tcpConnect({ host: '127.0.0.1', port: addrA.outbound[0]?.port ?? 0, allowHalfOpen: true });
      await once(socket, 'connect');
      // Half-closing is not carried across the TLS hop (Node's TLS ends both directions on
      // close_notify), so the client waits for its echo before ending.
      const reply = once(socket, 'data');
      socket.write('\u0000opaque over mtls');
      const [data] = (await reply) as [Buffer];
      assert.equal(data.toString(), '\u0000opaque over mtls');
      socket.destroy();
    });

    test('B records the client identity and TLS in its inbound metrics', async () => {
      const parsed = parsePrometheusText(await registryB.metrics());
      assert.ok(sumSamples(parsed, 'request_total', { direction: 'inbound', tls: 'true', client_id: A }) >= 3);
      // Connections are labelled like their requests: the mTLS connections from A, none as plaintext.
      assert.ok(sumSamples(parsed, 'tcp_open_total', { direction: 'inbound', tls: 'true', client_id: A }) >= 1);
      assert.equal(sumSamples(parsed, 'tcp_open_total', { direction: 'inbound', tls: 'no_identity' }), 0);
    });

    test('refuses a peer that does not prove the expected identity, without falling back to plaintext', async () => {
      // A peer that terminates TLS for any name with B's certificate, while discovery promised db.
      const bCert = await staticIdentitySource(ca, B);
      const received: Buffer[] = [];
      const impostor = createTlsServer({ cert: bCert.current?.chainPem, key: bCert.current?.keyPem }, (s) => {
        s.on('data', (d: Buffer) => received.push(d));
        s.on('error', () => undefined);
      });
      impostor.on('tlsClientError', () => undefined);
      impostor.listen(0, '127.0.0.1');
      await once(impostor, 'listening');
      claimedIdentity = 'db.shop.serviceaccount.identity.nodemesh.cluster.local';
      impostorPort = (impostor.address() as AddressInfo).port;
      try {
        const { stdout } = await run('curl', [
          '-sS',
          '-i',
          '--max-time',
          '10',
          `http://${outbound()}/must-not-leak`,
          '-H',
          'Host: web-h1.shop.svc.cluster.local',
        ]);
        assert.match(stdout, /^HTTP\/1\.1 502/);
        assert.match(stdout, /l5d-proxy-error: connection to .* failed: .*db\.shop\.serviceaccount/);
        assert.equal(Buffer.concat(received).includes('must-not-leak'), false);
        const parsed = parsePrometheusText(await registryA.metrics());
        assert.ok(
          sumSamples(parsed, 'tls_handshake_failures_total', { direction: 'outbound', reason: 'identity' }) >= 1,
        );
      } finally {
        claimedIdentity = B;
        impostorPort = undefined;
        impostor.close();
      }
    });
  });
