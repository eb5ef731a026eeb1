// Inbound authorization on a real proxy: all-authenticated refuses plaintext HTTP with 403 and
// l5d-proxy-error, plaintext gRPC with PERMISSION_DENIED and plaintext TCP by closing it, while an
// mTLS client with an identity is served; decisions are counted.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ProxyApp, type LocalIdentitySource, type ProxyAddresses } from '../../proxy/app.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import type { OriginalDestinationReader, SocketAddressPort } from '../../proxy/transport/original-dst.ts';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { createTestCa, type TestCa } from '../../src/testing/index.ts';
import { certificatesToPem, clientTlsOptions, exportPrivateKeyPem, type LocalIdentity } from '../../src/tls/index.ts';
import { echoClient, grpcEcho } from '../support/grpc-echo.ts';
import { h1Echo, tcpEcho, type Upstream } from '../support/upstreams.ts';
import { issueIdentity } from '../support/test-identities.ts';

const SERVER = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const CLIENT = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';

describe('inbound policy all-authenticated', () => {
  let ca: TestCa;
  let app: ProxyApp;
  let addrs: ProxyAddresses;
  let h1: Upstream;
  let tcp: Upstream;
  let grpc: { port: number; close: () => Promise<void> };
  let client: LocalIdentity;
  const queue: SocketAddressPort[] = [];
  const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });

  before(async () => {
    ca = await createTestCa();
    [h1, tcp, grpc] = await Promise.all([h1Echo(), tcpEcho(), grpcEcho()]);
    const server = await issueIdentity(ca, SERVER);
    client = await issueIdentity(ca, CLIENT);
    const cert = {
      identity: SERVER,
      chainPem: certificatesToPem([server.leaf, ...server.intermediates]),
      keyPem: exportPrivateKeyPem(server.privateKey),
      leaf: new X509Certificate(server.leaf),
      validUntil: new Date(Date.now() + 3_600_000),
    };
    const source: LocalIdentitySource = {
      identity: SERVER,
      current: cert,
      subscribe: (fn) => (fn(cert), () => undefined),
    };
    const reader: OriginalDestinationReader = { read: () => queue.shift() };
    app = new ProxyApp({
      config: parseProxyConfig({
        NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: '127.0.0.1:0',
        NODEMESH_PROXY_INBOUND_LISTEN_ADDR: '127.0.0.1:0',
        NODEMESH_PROXY_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
        NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
        NODEMESH_PROXY_INBOUND_DETECT_TIMEOUT: '1s',
        NODEMESH_PROXY_INBOUND_DEFAULT_POLICY: 'all-authenticated',
        NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: ca.anchor.certificatePem,
        NODEMESH_PROXY_IDENTITY_SVC_ADDR: '127.0.0.1:1',
        NODEMESH_PROXY_IDENTITY_SVC_NAME: 'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
        NODEMESH_PROXY_IDENTITY_LOCAL_NAME: SERVER,
      }),
      log: createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' }),
      registry,
      originalDestination: reader,
      identity: { source, trust: ca.trust },
    });
    addrs = await app.start();
  });
  after(async () => {
    await app.shutdown(100);
    await Promise.all([h1.close(), tcp.close(), grpc.close()]);
  });

  function get(socket: Socket): Promise<{ status: number; error: string | undefined }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { createConnection: () => socket, path: '/', headers: { host: `127.0.0.1:${h1.port}` } },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, error: res.headers['l5d-proxy-error'] as string | undefined }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  test('refuses plaintext HTTP with 403 and says why', async () => {
    queue.push({ host: '127.0.0.1', port: h1.port });
    const socket = tcpConnect({ host: '127.0.0.1', port: addrs.inbound.port });
    await once(socket, 'connect');
    const res = await get(socket);
    assert.equal(res.status, 403);
    assert.match(res.error ?? '', /only accepts clients with a mesh identity \(all-authenticated\)/);
  });

  test('serves an mTLS client with an identity', async () => {
    queue.push({ host: '127.0.0.1', port: h1.port });
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: addrs.inbound.port,
      ...clientTlsOptions({ serverIdentity: SERVER, local: client, trust: ca.trust }),
    });
    await once(socket, 'secureConnect');
    assert.equal((await get(socket)).status, 200);
  });

  test('refuses plaintext gRPC with PERMISSION_DENIED', async () => {
    // The gRPC client dials the inbound listener directly; the redirect says where it was going.
    for (let i = 0; i < 4; i++) queue.push({ host: '127.0.0.1', port: grpc.port });
    const c = echoClient(`127.0.0.1:${addrs.inbound.port}`, `127.0.0.1:${grpc.port}`);
    try {
      const err = await new Promise<ServiceError>((resolve) =>
        c.makeUnaryRequest(
          '/test.Echo/Unary',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from('x'),
          (e: ServiceError | null) => resolve(e as ServiceError),
        ),
      );
      assert.equal(err.code, GrpcStatus.PERMISSION_DENIED);
    } finally {
      c.close();
      queue.length = 0;
    }
  });

  test('closes a plaintext TCP connection', async () => {
    queue.push({ host: '127.0.0.1', port: tcp.port });
    const socket = tcpConnect({ host: '127.0.0.1', port: addrs.inbound.port });
    await once(socket, 'connect');
    socket.write('\u0000not http');
    const events = await Promise.race([
      once(socket, 'close').then(() => 'closed'),
      once(socket, 'data').then(() => 'data'),
    ]);
    assert.equal(events, 'closed');
  });

  test('counts the decisions', async () => {
    const parsed = parsePrometheusText(await registry.metrics());
    assert.ok(sumSamples(parsed, 'inbound_authz_total', { protocol: 'http', decision: 'deny' }) >= 2);
    assert.ok(sumSamples(parsed, 'inbound_authz_total', { protocol: 'http', decision: 'allow' }) >= 1);
    assert.ok(sumSamples(parsed, 'inbound_authz_total', { protocol: 'tcp', decision: 'deny' }) >= 1);
  });
});
