// Certificate renewal while traffic flows between two proxies: both sides get new certificates
// (new keys) several times during steady HTTP load and a long gRPC stream; no request fails, the
// stream keeps working, and new connections present the newest certificate.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { ProxyApp, type LocalIdentitySource, type ProxyAddresses } from '../../proxy/app.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import { FunctionTargets } from '../../proxy/outbound/function-targets.ts';
import type { WorkloadCertificate } from '../../proxy/identity-client/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry } from '../../src/metrics/index.ts';
import { createTestCa, type TestCa } from '../../src/testing/index.ts';
import { echoClient, grpcEcho } from '../support/grpc-echo.ts';
import { h1Echo, type Upstream } from '../support/upstreams.ts';
import { issueWorkloadCertificate } from '../support/test-identities.ts';

const A = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';
const B = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const silent = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

/** A certificate source that issues a fresh certificate (new key) whenever renew() is called. */
class RenewingSource implements LocalIdentitySource {
  readonly identity: string;
  current: WorkloadCertificate | undefined;
  readonly #listeners = new Set<(c: WorkloadCertificate) => void>();
  readonly #ca: TestCa;
  constructor(ca: TestCa, identity: string) {
    this.#ca = ca;
    this.identity = identity;
  }
  async renew(): Promise<WorkloadCertificate> {
    const cert = await issueWorkloadCertificate(this.#ca, this.identity);
    this.current = cert;
    for (const l of this.#listeners) l(cert);
    return cert;
  }
  subscribe(listener: (c: WorkloadCertificate) => void): () => void {
    this.#listeners.add(listener);
    if (this.current !== undefined) listener(this.current);
    return () => this.#listeners.delete(listener);
  }
}

const env = (ca: TestCa, local: string): Record<string, string> => ({
  NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: '127.0.0.1:0',
  NODEMESH_PROXY_INBOUND_LISTEN_ADDR: '127.0.0.1:0',
  NODEMESH_PROXY_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
  NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
  // Connect timeouts are not under test; a loaded CI machine can stall the event loop past 100 ms.
  NODEMESH_PROXY_INBOUND_CONNECT_TIMEOUT: '10s',
  NODEMESH_PROXY_OUTBOUND_CONNECT_TIMEOUT: '10s',
  NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: ca.anchor.certificatePem,
  NODEMESH_PROXY_IDENTITY_SVC_ADDR: '127.0.0.1:1',
  NODEMESH_PROXY_IDENTITY_SVC_NAME: 'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
  NODEMESH_PROXY_IDENTITY_LOCAL_NAME: local,
});

describe('certificate renewal under load', () => {
  let ca: TestCa;
  let a: ProxyApp;
  let b: ProxyApp;
  let addrA: ProxyAddresses;
  let addrB: ProxyAddresses;
  let srcA: RenewingSource;
  let srcB: RenewingSource;
  let h1: Upstream;
  let grpc: { port: number; close: () => Promise<void> };

  before(async () => {
    ca = await createTestCa();
    [h1, grpc] = await Promise.all([h1Echo(), grpcEcho()]);
    srcA = new RenewingSource(ca, A);
    srcB = new RenewingSource(ca, B);
    await Promise.all([srcA.renew(), srcB.renew()]);
    b = new ProxyApp({
      config: parseProxyConfig(env(ca, B)),
      log: silent,
      registry: createRegistry({ component: 'p', version: '0', collectDefaults: false }),
      identity: { source: srcB, trust: ca.trust },
    });
    addrB = await b.start();
    const ports: Record<string, number> = { h1: h1.port, grpc: grpc.port };
    const resolver = new FunctionTargets(({ authority }) => {
      const kind = /^web-(\w+)\./.exec(authority ?? '')?.[1];
      const port = kind === undefined ? undefined : ports[kind];
      return port === undefined
        ? undefined
        : { host: '127.0.0.1', port, mesh: { identity: B, inboundPort: addrB.inbound.port } };
    });
    a = new ProxyApp({
      config: parseProxyConfig(env(ca, A)),
      log: silent,
      registry: createRegistry({ component: 'p', version: '0', collectDefaults: false }),
      identity: { source: srcA, trust: ca.trust },
      outboundTargets: resolver,
    });
    addrA = await a.start();
  });
  after(async () => {
    await a.shutdown(100);
    await b.shutdown(100);
    await Promise.all([h1.close(), grpc.close()]);
  });

  test('no request fails and a long gRPC stream survives while both sides renew three times', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const failures: string[] = [];
    let ok = 0;
    let stop = false;
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: addrA.outbound[0]?.port,
            path: '/r',
            agent,
            headers: { host: 'web-h1.shop.svc.cluster.local' },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode === 200) ok++;
              else failures.push(`status ${res.statusCode}`);
              resolve();
            });
          },
        );
        req.on('error', (err) => {
          failures.push(err.message);
          resolve();
        });
        req.end();
      });
    const load = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 2000 && !stop; i++) await one();
    });
    const client = echoClient(`127.0.0.1:${addrA.outbound[0]?.port}`, 'web-grpc.shop.svc.cluster.local:80');
    const stream = client.makeBidiStreamRequest(
      '/test.Echo/Bidi',
      (x: Buffer) => x,
      (x: Buffer) => x,
    );
    const echoed: string[] = [];
    stream.on('data', (d: Buffer) => echoed.push(d.toString()));
    try {
      for (let round = 0; round < 3; round++) {
        stream.write(Buffer.from(`before-${round}`));
        await new Promise((r) => setTimeout(r, 150));
        await Promise.all([srcA.renew(), srcB.renew()]);
        await new Promise((r) => setTimeout(r, 150));
      }
      stream.write(Buffer.from('after'));
      stream.end();
      await once(stream, 'end');
      // Keep the load on until enough requests went through (however slow the machine is).
      for (let i = 0; i < 500 && ok <= 20; i++) await new Promise((r) => setTimeout(r, 20));
      stop = true;
      await Promise.all(load);
    } finally {
      client.close();
      agent.destroy();
    }
    assert.deepEqual(failures, []);
    assert.ok(ok > 20, `${ok} requests succeeded`);
    assert.deepEqual(echoed, ['echo:before-0', 'echo:before-1', 'echo:before-2', 'echo:after']);
  });

  test('a new connection to the peer is served with its newest certificate', async () => {
    const newest = await srcB.renew();
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: addrB.inbound.port,
      servername: B,
      rejectUnauthorized: false,
    });
    await once(socket, 'secureConnect');
    assert.equal(socket.getPeerX509Certificate()?.fingerprint256, newest.leaf.fingerprint256);
    socket.destroy();
  });
});
