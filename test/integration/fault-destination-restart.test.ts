// Fault: the destination service is stopped and started again while a real `nodemesh proxy` carries
// steady traffic to a Service it resolved through it. The proxy keeps routing to the endpoints it
// knows while the control plane is away, reconnects on its own, and then follows a change made after
// the restart; no request fails because of the restart.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DestinationController } from '../../controller/destination/index.ts';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { freePort } from '../../src/net/index.ts';
import { discoveringProxy, fileDestination, silentLog, steadyLoad, writeAtomically } from '../support/file-mesh.ts';
import { killAll, type Daemon } from '../support/processes.ts';

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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
    source = new FileResourceSource({ log: silentLog }, { folder: dir, pollIntervalMs: 100 });
    destinationPort = await freePort();
    controller = fileDestination(source, destinationPort);
    await controller.start();
    ({ proxy, outboundPort } = await discoveringProxy(destinationPort));
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
    const load = steadyLoad(outboundPort, 'web.shop.svc.cluster.local');
    const last = (): string | undefined => load.replies.at(-1)?.body;
    try {
      for (let i = 0; i < 200 && last() !== OLD; i++) await sleep(10);
      assert.equal(last(), OLD, 'traffic reached the endpoint from discovery');

      // The control plane goes away; traffic keeps flowing to the known endpoint.
      await controller?.close(100);
      controller = undefined;
      const during = load.replies.length;
      await sleep(1000);
      assert.ok(load.replies.length > during, 'requests were served while the destination service was down');

      // It comes back on the same address; a change made now must reach the proxy.
      controller = fileDestination(source, destinationPort);
      await controller.start();
      await writeAtomically(path.join(dir, 'web.yaml'), web(NEW, appPort));
      // Bounded: the proxy's reconnect backoff plus the file source's poll.
      for (let i = 0; i < 1500 && last() !== NEW; i++) await sleep(10);
    } finally {
      await load.stop();
    }
    assert.equal(last(), NEW, 'the proxy followed the change made after the restart');
    assert.deepEqual(load.failures, []);
  });
});
