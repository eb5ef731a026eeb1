// The inbound proxy's TLS: a ClientHello for its own identity is terminated with mTLS and the
// client's identity reaches the app as l5d-client-id (a client-sent one is stripped); TLS for any
// other name passes through untouched; a client certificate from another CA is refused; plaintext
// still works. In process, with an issued certificate and a fake original-destination reader.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { createTestCa, type TestCa } from '../../src/testing/index.ts';
import { certificatesToPem, clientTlsOptions, exportPrivateKeyPem, type LocalIdentity } from '../../src/tls/index.ts';
import { ProxyApp, type LocalIdentitySource, type ProxyAddresses } from '../../proxy/app.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import type { WorkloadCertificate } from '../../proxy/identity-client/index.ts';
import type { OriginalDestinationReader, SocketAddressPort } from '../../proxy/transport/original-dst.ts';
import { h1Echo, type Upstream } from '../support/upstreams.ts';
import { issueIdentity } from '../support/test-identities.ts';

const SERVER = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const CLIENT = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';

class FakeRedirects implements OriginalDestinationReader {
  readonly queue: SocketAddressPort[] = [];
  read(): SocketAddressPort | undefined {
    return this.queue.shift();
  }
}

describe('inbound mTLS', () => {
  let ca: TestCa;
  let app: ProxyApp;
  let addrs: ProxyAddresses;
  let app1: Upstream;
  let client: LocalIdentity;
  const redirects = new FakeRedirects();
  const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
  let passthrough: { port: number; close: () => void; sawSni: string[] };

  before(async () => {
    ca = await createTestCa();
    const server = await issueIdentity(ca, SERVER);
    client = await issueIdentity(ca, CLIENT);
    const cert: WorkloadCertificate = {
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
    app1 = await h1Echo();
    // A TLS server of someone else's (passthrough target), with its own certificate.
    const other = await issueIdentity(await createTestCa(), 'other.example.org');
    const sawSni: string[] = [];
    const tlsServer = createTlsServer(
      { cert: certificatesToPem([other.leaf, ...other.intermediates]), key: exportPrivateKeyPem(other.privateKey) },
      (s: TLSSocket) => {
        sawSni.push(String(s.servername));
        s.end('hello from the real server');
      },
    );
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    passthrough = { port: (tlsServer.address() as { port: number }).port, close: () => tlsServer.close(), sawSni };

    const config = parseProxyConfig({
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: '127.0.0.1:0',
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_PROXY_INBOUND_DETECT_TIMEOUT: '2s',
      NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: ca.anchor.certificatePem,
      NODEMESH_PROXY_IDENTITY_SVC_ADDR: '127.0.0.1:1',
      NODEMESH_PROXY_IDENTITY_SVC_NAME: 'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
      NODEMESH_PROXY_IDENTITY_LOCAL_NAME: SERVER,
    });
    app = new ProxyApp({
      config,
      log: createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' }),
      registry,
      originalDestination: redirects,
      identity: { source, trust: ca.trust },
    });
    addrs = await app.start();
  });
  after(async () => {
    await app.shutdown(100);
    await app1.close();
    passthrough.close();
  });

  /** Sends one HTTP/1.1 GET over `socket` and returns the upstream's echo. */
  async function get(
    socket: Socket,
    headers: Record<string, string> = {},
  ): Promise<{ headers: Record<string, string> }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { createConnection: () => socket, path: '/who', headers: { host: `127.0.0.1:${app1.port}`, ...headers } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(JSON.parse(body) as { headers: Record<string, string> }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  function dialTls(opts: { servername: string; local?: LocalIdentity; trustAnchors?: TestCa }): Promise<TLSSocket> {
    redirects.queue.push({ host: '127.0.0.1', port: app1.port });
    const options =
      opts.servername === SERVER
        ? clientTlsOptions({
            serverIdentity: SERVER,
            trust: (opts.trustAnchors ?? ca).trust,
            ...(opts.local === undefined ? {} : { local: opts.local }),
          })
        : { servername: opts.servername, rejectUnauthorized: false };
    const socket = tlsConnect({ host: '127.0.0.1', port: addrs.inbound.port, ...options });
    return new Promise((resolve, reject) => {
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  test("terminates mTLS for its own identity and tells the app the client's identity", async () => {
    const socket = await dialTls({ servername: SERVER, local: client });
    const echo = await get(socket, { 'l5d-client-id': 'forged.identity' });
    assert.equal(echo.headers['l5d-client-id'], CLIENT);
    socket.destroy();
  });

  test('accepts a TLS client without a certificate, without l5d-client-id', async () => {
    const socket = await dialTls({ servername: SERVER });
    const echo = await get(socket, { 'l5d-client-id': 'forged.identity' });
    assert.equal(echo.headers['l5d-client-id'], undefined);
    socket.destroy();
  });

  test('refuses a client certificate from another CA', async () => {
    const foreign = await createTestCa();
    const stranger = await issueIdentity(foreign, CLIENT);
    const socket = await dialTls({ servername: SERVER, local: stranger }).catch((e: unknown) => e);
    if (socket instanceof Error) return; // refused during the handshake
    const outcome = await get(socket as TLSSocket).then(
      () => 'served',
      () => 'refused',
    );
    assert.equal(outcome, 'refused');
  });

  test('passes TLS for another name through untouched', async () => {
    redirects.queue.push({ host: '127.0.0.1', port: passthrough.port });
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: addrs.inbound.port,
      servername: 'other.example.org',
      rejectUnauthorized: false,
    });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    await once(socket, 'end');
    assert.equal(text, 'hello from the real server');
    assert.equal(socket.getPeerX509Certificate()?.subjectAltName, 'DNS:other.example.org');
    assert.deepEqual(passthrough.sawSni, ['other.example.org']);
    socket.destroy();
  });

  test('still serves plaintext, labelled no_identity', async () => {
    redirects.queue.push({ host: '127.0.0.1', port: app1.port });
    const socket = tcpConnect({ host: '127.0.0.1', port: addrs.inbound.port });
    await once(socket, 'connect');
    const echo = await get(socket);
    assert.equal(echo.headers['l5d-client-id'], undefined);
    socket.destroy();
    const parsed = parsePrometheusText(await registry.metrics());
    assert.ok(sumSamples(parsed, 'request_total', { direction: 'inbound', tls: 'true', client_id: CLIENT }) >= 1);
    assert.ok(sumSamples(parsed, 'request_total', { direction: 'inbound', tls: 'no_identity' }) >= 1);
    assert.ok(
      sumSamples(parsed, 'tls_handshake_failures_total', { reason: 'client_certificate' }) +
        sumSamples(parsed, 'tls_handshake_failures_total', { reason: 'handshake' }) >=
        1,
    );
  });
});
