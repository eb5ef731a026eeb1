// Blue/green through the control plane: a real `nodemesh proxy` follows a ServiceProfile's
// dstOverrides served by the destination service (in process, on a watched folder of YAML). Under
// steady load the profile is flipped from the blue Service to the green one; no request fails, and
// once the flip has propagated the blue version receives no new requests. The propagation time is
// measured and printed.

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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
    source = new FileResourceSource({ log: silentLog }, { folder: dir, pollIntervalMs: 100 });
    controller = fileDestination(source);
    ({ proxy, outboundPort } = await discoveringProxy(await controller.start()));
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
    const load = steadyLoad(outboundPort, 'web.shop.svc.cluster.local');
    const saw = (version: string): boolean => load.replies.some((r) => r.body === version);
    const flip = { at: Number.NaN };
    try {
      // Steady on blue first.
      for (let i = 0; i < 200 && !saw('blue'); i++) await sleep(10);
      await sleep(300);
      flip.at = performance.now();
      await writeAtomically(path.join(dir, 'profile.yaml'), profile('web-green'));
      // Wait until green answers, then keep the load on for a second more.
      for (let i = 0; i < 500 && !saw('green'); i++) await sleep(10);
      await sleep(1000);
    } finally {
      await load.stop();
    }
    const { replies } = load;
    const firstGreen = replies.find((r) => r.body === 'green')?.started ?? Number.NaN;
    const lastBlue = Math.max(...replies.filter((r) => r.body === 'blue').map((r) => r.started));
    const propagationMs = Math.max(0, lastBlue - flip.at);
    process.stdout.write(
      `# blue/green: ${replies.length} requests, flip propagated in ${propagationMs.toFixed(0)} ms (first green request started ${(firstGreen - flip.at).toFixed(0)} ms after the write)\n`,
    );
    assert.deepEqual(load.failures, []);
    assert.ok(saw('green'), 'green took over');
    // The flip propagated while the load was still on: a good share of the requests came after the
    // last one blue served, and all of those went to green (by construction of lastBlue).
    const afterPropagation = replies.filter((r) => r.started > lastBlue);
    assert.ok(afterPropagation.length > 50, `${afterPropagation.length} requests after the flip propagated`);
  });
});
