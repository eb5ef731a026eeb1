// An HTTPRoute canary end to end: the destination service (in process, on a watched folder of
// YAML) serves a mesh HTTPRoute for web.shop to a real `nodemesh proxy`, which routes by it. Under
// steady load the route's backend weights are stepped 0 → 10 → 50 → 100 % to the canary by
// rewriting the file (`nodemesh split` does the same edit): no request fails, and each step's
// share lands within its statistical bound. A header rule sends x-canary requests to the canary
// whatever the weights.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DestinationController } from '../../controller/destination/index.ts';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { freePort } from '../../src/net/index.ts';
import { discoveringProxy, fileDestination, silentLog, steadyLoad, writeAtomically } from '../support/file-mesh.ts';
import { killAll, type Daemon } from '../support/processes.ts';

const IPS = { web: '127.0.0.51', 'web-stable': '127.0.0.52', 'web-canary': '127.0.0.53' } as const;
const SERVICE = 'web.shop.svc.cluster.local';

const service = (name: keyof typeof IPS, port: number): string => `apiVersion: v1
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
endpoints: [{ addresses: ["${IPS[name]}"], conditions: { ready: true } }]
`;

const route = (canaryPercent: number): string => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web-canary, namespace: shop }
spec:
  parentRefs: [{ group: '', kind: Service, name: web, port: 80 }]
  rules:
    - matches: [{ headers: [{ name: x-canary, value: 'true' }] }]
      backendRefs: [{ name: web-canary, port: 80 }]
    - backendRefs:
        - { name: web-stable, port: 80, weight: ${100 - canaryPercent} }
        - { name: web-canary, port: 80, weight: ${canaryPercent} }
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('an HTTPRoute canary through the destination service', () => {
  let dir: string;
  let source: FileResourceSource;
  let controller: DestinationController;
  let proxy: Daemon;
  let outboundPort: number;
  const apps: Server[] = [];

  before(async () => {
    const appPort = await freePort(IPS.web);
    for (const name of Object.keys(IPS) as (keyof typeof IPS)[]) {
      const app = createServer((_req, res) => res.end(name));
      app.keepAliveTimeout = 30_000;
      app.listen(appPort, IPS[name]);
      await once(app, 'listening');
      apps.push(app);
    }
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-httproute-canary-'));
    for (const name of Object.keys(IPS) as (keyof typeof IPS)[]) {
      await writeFile(path.join(dir, `${name}.yaml`), service(name, appPort));
    }
    await writeFile(path.join(dir, 'route.yaml'), route(0));
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

  const get = (headers: Record<string, string> = {}): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: outboundPort, path: '/', headers: { host: SERVICE, ...headers } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  test('weights stepped 0 → 10 → 50 → 100 % under steady load lose no request and land within bounds', async () => {
    // The route is in force once the header rule answers from the canary.
    for (let i = 0; i < 100 && (await get({ 'x-canary': 'true' })).body !== 'web-canary'; i++) await sleep(50);
    assert.equal((await get({ 'x-canary': 'true' })).body, 'web-canary', 'the header rule routes to the canary');

    const load = steadyLoad(outboundPort, SERVICE, 4);
    const shares: { percent: number; canary: number; total: number }[] = [];
    try {
      for (const percent of [0, 10, 50, 100]) {
        await writeAtomically(path.join(dir, 'route.yaml'), route(percent));
        await sleep(600); // propagation: file poll (100 ms) + profile update, well within
        const from = load.replies.length;
        for (let i = 0; i < 300 && load.replies.length - from < 400; i++) await sleep(20);
        const window = load.replies.slice(from);
        shares.push({ percent, canary: window.filter((r) => r.body === 'web-canary').length, total: window.length });
      }
    } finally {
      await load.stop();
    }
    process.stdout.write(
      `# httproute canary steps: ${shares.map((s) => `${s.percent}% → ${s.canary}/${s.total}`).join(', ')}\n`,
    );
    assert.deepEqual(load.failures, [], 'no request failed while the weights changed');
    for (const { percent, canary, total } of shares) {
      assert.ok(total >= 100, `enough requests in the ${percent}% window (${total})`);
      const p = percent / 100;
      const expected = p * total;
      // Binomial: within 5 standard deviations (exact at 0 and 100 %).
      const bound = 5 * Math.sqrt(total * p * (1 - p));
      assert.ok(
        Math.abs(canary - expected) <= bound,
        `${percent}%: ${canary} of ${total} went to the canary (expected ${expected.toFixed(0)} ± ${bound.toFixed(1)})`,
      );
    }
  });
});
