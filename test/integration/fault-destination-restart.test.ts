// Fault: the destination service is stopped and started again while a real `nodemesh proxy` carries
// steady traffic to a Service it resolved through it. The proxy keeps routing to the endpoints it
// knows while the control plane is away, reconnects on its own, and then follows a change made after
// the restart; no request fails because of the restart.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { DestinationController } from '../../controller/destination/index.ts';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { freePort } from '../../src/net/index.ts';
import { killAll, startDaemon, waitReady, type Daemon } from '../support/processes.ts';

const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });
const OLD = '127.0.0.51';
const NEW = '127.0.0.52';

const web = (ip: string, port: number): string => `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  ports: [{ name: http, port: 80, targetPort: ${port} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: shop, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints: [{ addresses: ["${ip}"], conditions: { ready: true } }]
`;

function controllerOn(source: FileResourceSource, port: number): DestinationController {
  return new DestinationController(
    { source, log, registry: new Registry() },
    {
      listenAddr: { host: '127.0.0.1', port },
      clusterDomain: 'cluster.local',
      controlNamespace: 'nodemesh',
      trustDomain: 'cluster.local',
      defaultOpaquePorts: [],
      streamQueueCapacity: 100,
    },
  );
}

describe('the destination service restarts under load', () => {
  let dir: string;
  let source: FileResourceSource;
  let controller: DestinationController | undefined;
  let proxy: Daemon;
  let outboundPort: number;
  let destinationPort: number;
  let appPort: number;
  const apps: Server[] = [];

  before(async () => {
    appPort = await freePort(OLD);
    for (const ip of [OLD, NEW]) {
      const app = createServer((_req, res) => res.end(ip));
      app.keepAliveTimeout = 30_000;
      app.listen(appPort, ip);
      await once(app, 'listening');
      apps.push(app);
    }
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-destination-restart-'));
    await writeFile(path.join(dir, 'web.yaml'), web(OLD, appPort));
    source = new FileResourceSource({ log }, { folder: dir, pollIntervalMs: 100 });
    destinationPort = await freePort();
    controller = controllerOn(source, destinationPort);
    await controller.start();
    const [o, i, a] = [await freePort(), await freePort(), await freePort()];
    outboundPort = o;
    proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_DESTINATION_SVC_ADDR: `127.0.0.1:${destinationPort}`,
      NODEMESH_PROXY_DESTINATION_CONTEXT: '{"ns":"shop"}',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `127.0.0.1:${o}`,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${a}`,
    });
    await waitReady(proxy, `http://127.0.0.1:${a}/ready`);
  });

  after(async () => {
    await proxy?.stop();
    killAll();
    await controller?.close(500);
    await source?.close();
    for (const app of apps) app.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('no request fails; the proxy keeps its endpoints, reconnects and follows the next change', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const seen: string[] = [];
    const failures: string[] = [];
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const req = request(
          { host: '127.0.0.1', port: outboundPort, path: '/', agent, headers: { host: 'web.shop.svc.cluster.local' } },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => {
              if (res.statusCode === 200) seen.push(body);
              else failures.push(`${res.statusCode}: ${body}`);
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
    let stop = false;
    const load = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 50_000 && !stop; i++) await one();
    });
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    try {
      for (let i = 0; i < 200 && !seen.includes(OLD); i++) await sleep(10);
      assert.ok(seen.includes(OLD), 'traffic reached the endpoint from discovery');

      // The control plane goes away; traffic keeps flowing to the known endpoint.
      await controller?.close(100);
      controller = undefined;
      const during = seen.length;
      await sleep(1000);
      assert.ok(seen.length > during, 'requests were served while the destination service was down');

      // It comes back on the same address; a change made now must reach the proxy.
      controller = controllerOn(source, destinationPort);
      await controller.start();
      const temp = path.join(dir, '.web.yaml.tmp');
      await writeFile(temp, web(NEW, appPort));
      await rename(temp, path.join(dir, 'web.yaml'));
      // Bounded: the proxy's reconnect backoff plus the file source's poll.
      for (let i = 0; i < 1500 && seen.at(-1) !== NEW; i++) await sleep(10);
      stop = true;
      await Promise.all(load);
      assert.equal(seen.at(-1), NEW, 'the proxy followed the change made after the restart');
      assert.deepEqual(failures, []);
    } finally {
      stop = true;
      agent.destroy();
    }
  });
});
