// The proxy and the destination service over TLS: a real `nodemesh proxy` process with identity
// (from a real `nodemesh identity` process) reaches a destination service that serves TLS with a
// certificate for nodemesh-destination.nodemesh.serviceaccount.identity.nodemesh.cluster.local,
// and resolves a Service through it. A destination presenting another identity, or a certificate
// from another CA, is refused at the handshake with MESH_ERR_DISCOVERY_TLS in the log saying why;
// nothing it serves is used (it points the Service elsewhere), and the proxy keeps routing to the
// endpoints it last had. When the real destination is back, its changes are followed again.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Registry } from '../../src/metrics/index.ts';
import { DestinationController } from '../../controller/destination/index.ts';
import { createCaFiles } from '../../src/cli/identity/ca-files.ts';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { freePort } from '../../src/net/index.ts';
import { createServingCertificate, createTestCa, type ServingCertificate } from '../../src/testing/index.ts';
import { TrustBundle, identityName, identityServiceName, loadIssuerFromPem, type Issuer } from '../../src/tls/index.ts';
import { generateLocalSigningKey, mintLocalToken } from '../../src/tokens/index.ts';
import { killAll, startDaemon, waitReady, type Daemon } from '../support/processes.ts';

const run = promisify(execFile);
const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });
const DOMAIN = { trustDomain: 'cluster.local', controlNamespace: 'nodemesh' };
const DESTINATION = identityName({ serviceAccount: 'nodemesh-destination', namespace: 'nodemesh', ...DOMAIN });
const IPS = ['127.0.0.31', '127.0.0.32'] as const;

const service = (port: number): string => `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  clusterIP: 10.96.0.10
  ports: [{ name: http, port: 80, targetPort: ${port} }]
`;
const slice = (ip: string, port: number): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: shop, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints: [{ addresses: ["${ip}"], conditions: { ready: true } }]
`;

/** A destination service on `port` serving a folder where web.shop points at `ip`, over TLS. */
class Destination {
  readonly #dir: string;
  readonly #source: FileResourceSource;
  readonly #controller: DestinationController;

  private constructor(dir: string, source: FileResourceSource, controller: DestinationController) {
    this.#dir = dir;
    this.#source = source;
    this.#controller = controller;
  }

  static async start(opts: {
    port: number;
    appPort: number;
    ip: string;
    tls: ServingCertificate;
  }): Promise<Destination> {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-destination-tls-'));
    await writeFile(path.join(dir, 'web.yaml'), `${service(opts.appPort)}---\n${slice(opts.ip, opts.appPort)}`);
    const source = new FileResourceSource({ log }, { folder: dir, pollIntervalMs: 100 });
    const controller = new DestinationController(
      { source, log, registry: new Registry() },
      {
        listenAddr: { host: '127.0.0.1', port: opts.port },
        clusterDomain: 'cluster.local',
        controlNamespace: 'nodemesh',
        trustDomain: 'cluster.local',
        defaultOpaquePorts: [],
        streamQueueCapacity: 100,
        tls: opts.tls,
      },
    );
    await controller.start();
    return new Destination(dir, source, controller);
  }

  async stop(): Promise<void> {
    await this.#controller.close(200);
    await this.#source.close();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

describe('nodemesh proxy discovering through a TLS destination service', () => {
  let dir: string;
  let issuer: Issuer;
  let identity: Daemon;
  let proxy: Daemon;
  let destination: Destination | undefined;
  let destinationPort: number;
  let appPort: number;
  let outbound: string;
  const apps: Server[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-proxy-destination-tls-'));
    const ca = await createCaFiles({
      dir: path.join(dir, 'ca'),
      domain: DOMAIN,
      anchorLifetimeMs: 86_400_000,
      issuerLifetimeMs: 86_400_000,
      force: true,
      command: 'test',
    });
    issuer = loadIssuerFromPem(
      {
        certificatePem: await readFile(ca.files.issuer, 'utf8'),
        privateKeyPem: await readFile(ca.files.issuerKey, 'utf8'),
      },
      { trustBundle: TrustBundle.fromPem(ca.anchor.pem) },
    );
    const signing = await generateLocalSigningKey();
    await writeFile(path.join(dir, 'token.pub'), signing.publicKeyPem);
    const tokenFile = path.join(dir, 'front.token');
    await writeFile(
      tokenFile,
      mintLocalToken({ key: signing.privateKeyPem, namespace: 'shop', serviceAccount: 'front' }),
    );

    appPort = await freePort(IPS[0]);
    for (const ip of IPS) {
      const app = createServer((_req, res) => res.end(`hello from ${ip}`));
      app.listen(appPort, ip);
      await once(app, 'listening');
      apps.push(app);
    }

    const [idGrpc, idAdmin] = [await freePort(), await freePort()];
    identity = startDaemon(['identity'], {
      NODEMESH_IDENTITY_LISTEN_ADDR: `127.0.0.1:${idGrpc}`,
      NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR: `127.0.0.1:${idAdmin}`,
      NODEMESH_IDENTITY_ISSUER_DIR: ca.files.issuerDir,
      NODEMESH_IDENTITY_TRUST_ANCHORS_FILE: ca.files.anchor,
      NODEMESH_IDENTITY_TOKEN_VALIDATOR: 'local',
      NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE: path.join(dir, 'token.pub'),
    });
    await waitReady(identity, `http://127.0.0.1:${idAdmin}/ready`);

    destinationPort = await freePort();
    destination = await Destination.start({
      port: destinationPort,
      appPort,
      ip: IPS[0],
      tls: await createServingCertificate(issuer, DESTINATION),
    });

    const [o, i, a] = [await freePort(), await freePort(), await freePort()];
    outbound = `127.0.0.1:${o}`;
    proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: ca.anchor.pem,
      NODEMESH_PROXY_IDENTITY_SVC_ADDR: `127.0.0.1:${idGrpc}`,
      NODEMESH_PROXY_IDENTITY_SVC_NAME: identityServiceName(DOMAIN),
      NODEMESH_PROXY_IDENTITY_LOCAL_NAME: identityName({ serviceAccount: 'front', namespace: 'shop', ...DOMAIN }),
      NODEMESH_PROXY_IDENTITY_TOKEN_FILE: tokenFile,
      NODEMESH_PROXY_IDENTITY_DIR: dir,
      NODEMESH_PROXY_DESTINATION_SVC_ADDR: `127.0.0.1:${destinationPort}`,
      NODEMESH_PROXY_DESTINATION_SVC_NAME: DESTINATION,
      NODEMESH_PROXY_DESTINATION_CONTEXT: '{"ns":"shop"}',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: outbound,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${a}`,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_LOG_FORMAT: 'json',
    });
    await waitReady(proxy, `http://127.0.0.1:${a}/ready`);
  });

  after(async () => {
    await proxy?.stop();
    await identity?.stop();
    killAll();
    await destination?.stop();
    for (const app of apps) app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = async (): Promise<string> =>
    (await run('curl', ['-sS', '--max-time', '10', `http://${outbound}/`, '-H', 'Host: web.shop.svc.cluster.local']))
      .stdout;

  /** Waits until a line of the proxy's output (from `from` on) matches every pattern. */
  async function logged(patterns: readonly RegExp[], from: number, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = proxy
        .output()
        .slice(from)
        .split('\n')
        .find((l) => patterns.every((p) => p.test(l)));
      if (line !== undefined) return line;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(
      `the proxy did not log ${patterns.join(' and ')} within ${timeoutMs} ms:\n${proxy.output().slice(from)}`,
    );
  }

  /** Replaces the destination on the same port with one serving `tls` and pointing web at `ip`. */
  async function replaceDestination(tls: ServingCertificate, ip: string): Promise<number> {
    const from = proxy.output().length;
    await destination?.stop();
    destination = undefined;
    destination = await Destination.start({ port: destinationPort, appPort, ip, tls });
    return from;
  }

  test('resolves a Service name through the destination over TLS', async () => {
    assert.equal(await get(), `hello from ${IPS[0]}`);
    assert.doesNotMatch(proxy.output(), /reached over plaintext/);
  });

  const impostors: [string, () => Promise<ServingCertificate>, RegExp][] = [
    [
      'another identity',
      () => createServingCertificate(issuer, identityName({ serviceAccount: 'web', namespace: 'shop', ...DOMAIN })),
      /presented DNS:web\.shop\.serviceaccount\.identity\.nodemesh\.cluster\.local but \\"nodemesh-destination\.nodemesh\.serviceaccount\.identity\.nodemesh\.cluster\.local\\" was expected/,
    ],
    [
      'a certificate from another CA',
      async () => {
        const other = await createTestCa();
        return createServingCertificate(
          loadIssuerFromPem(
            { certificatePem: other.issuer.certificatePem, privateKeyPem: other.issuer.privateKeyPem },
            { trustBundle: other.trust },
          ),
          DESTINATION,
        );
      },
      /unable to get local issuer certificate/,
    ],
  ];
  for (const [what, tls, why] of impostors) {
    test(`refuses a destination with ${what}, logs why, and keeps routing to the last endpoints`, async () => {
      const from = await replaceDestination(await tls(), IPS[1]);
      const line = await logged([/MESH_ERR_DISCOVERY_TLS/, why], from);
      assert.match(line, /"level":"error"/, 'logged as an error');
      assert.match(line, /was refused at the TLS handshake/);
      for (let n = 0; n < 3; n++) assert.equal(await get(), `hello from ${IPS[0]}`, 'nothing from the impostor');
    });
  }

  test('follows the real destination again once it is back', async () => {
    await replaceDestination(await createServingCertificate(issuer, DESTINATION), IPS[1]);
    const deadline = Date.now() + 30_000;
    let body = '';
    while (Date.now() < deadline && body !== `hello from ${IPS[1]}`) {
      body = await get();
      if (body !== `hello from ${IPS[1]}`) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(body, `hello from ${IPS[1]}`);
  });
});
