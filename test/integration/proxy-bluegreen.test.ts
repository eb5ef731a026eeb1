// Blue/green through the control plane: a real `nodemesh proxy` follows a ServiceProfile's
// dstOverrides served by the destination service (in process, on a watched folder of YAML). Under
// steady load the profile is flipped from the blue Service to the green one; no request fails, and
// once the flip has propagated the blue version receives no new requests. The propagation time is
// measured and printed.

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
const BLUE = '127.0.0.41';
const GREEN = '127.0.0.42';

const service = (name: string, port: number): string => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: shop }
spec:
  ports: [{ name: http, port: 80, targetPort: ${port} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: shop, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints: [{ addresses: ["${name === 'web-green' ? GREEN : BLUE}"], conditions: { ready: true } }]
`;

const profile = (backend: 'web-blue' | 'web-green'): string => `apiVersion: nodemesh.io/v1alpha2
kind: ServiceProfile
metadata: { name: web.shop.svc.cluster.local, namespace: shop }
spec:
  dstOverrides:
  - authority: ${backend}.shop.svc.cluster.local:80
    weight: 1
`;

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeFile(temp, text);
  await rename(temp, file);
}

describe('blue/green flip through the destination service', () => {
  let dir: string;
  let source: FileResourceSource;
  let controller: DestinationController;
  let proxy: Daemon;
  let outboundPort: number;
  const apps: Server[] = [];

  before(async () => {
    const appPort = await freePort(BLUE);
    for (const [ip, name] of [
      [BLUE, 'blue'],
      [GREEN, 'green'],
    ] as const) {
      const app = createServer((_req, res) => res.end(name));
      app.keepAliveTimeout = 30_000;
      app.listen(appPort, ip);
      await once(app, 'listening');
      apps.push(app);
    }
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bluegreen-'));
    await writeFile(path.join(dir, 'web.yaml'), service('web', appPort));
    await writeFile(path.join(dir, 'web-blue.yaml'), service('web-blue', appPort));
    await writeFile(path.join(dir, 'web-green.yaml'), service('web-green', appPort));
    await writeFile(path.join(dir, 'profile.yaml'), profile('web-blue'));
    source = new FileResourceSource({ log }, { folder: dir, pollIntervalMs: 100 });
    controller = new DestinationController(
      { source, log, registry: new Registry() },
      {
        listenAddr: { host: '127.0.0.1', port: 0 },
        clusterDomain: 'cluster.local',
        controlNamespace: 'nodemesh',
        trustDomain: 'cluster.local',
        defaultOpaquePorts: [],
        streamQueueCapacity: 100,
      },
    );
    const destinationPort = await controller.start();
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

  test('no request fails, and after the flip propagates blue gets no new requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const replies: { started: number; version: string }[] = [];
    const failures: string[] = [];
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const started = performance.now();
        const req = request(
          { host: '127.0.0.1', port: outboundPort, path: '/', agent, headers: { host: 'web.shop.svc.cluster.local' } },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => {
              if (res.statusCode === 200) replies.push({ started, version: body });
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
      for (let i = 0; i < 20_000 && !stop; i++) await one();
    });
    try {
      // Steady on blue first.
      for (let i = 0; i < 200 && !replies.some((r) => r.version === 'blue'); i++)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 300));
      const flippedAt = performance.now();
      await writeAtomically(path.join(dir, 'profile.yaml'), profile('web-green'));
      // Wait until green answers, then keep the load on for a second more.
      for (let i = 0; i < 500 && !replies.some((r) => r.version === 'green'); i++)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 1000));
      stop = true;
      await Promise.all(load);
      const firstGreen = replies.find((r) => r.version === 'green')?.started ?? Number.NaN;
      const lastBlue = Math.max(...replies.filter((r) => r.version === 'blue').map((r) => r.started));
      const propagationMs = Math.max(0, lastBlue - flippedAt);
      process.stdout.write(
        `# blue/green: ${replies.length} requests, flip propagated in ${propagationMs.toFixed(0)} ms (first green request started ${(firstGreen - flippedAt).toFixed(0)} ms after the write)\n`,
      );
      assert.deepEqual(failures, []);
      assert.ok(
        replies.some((r) => r.version === 'green'),
        'green took over',
      );
      // The flip propagated while the load was still on: a good share of the requests came after the
      // last one blue served, and all of those went to green (by construction of lastBlue).
      const afterPropagation = replies.filter((r) => r.started > lastBlue);
      assert.ok(afterPropagation.length > 50, `${afterPropagation.length} requests after the flip propagated`);
    } finally {
      stop = true;
      agent.destroy();
    }
  });
});
