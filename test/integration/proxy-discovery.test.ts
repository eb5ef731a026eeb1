// The proxy routing through discovery: a real `nodemesh proxy` process asks a destination service
// (in process, on a watched folder of YAML) where web.shop.svc.cluster.local is, and follows the
// folder's edits: new endpoints get traffic, and a Service without ready endpoints fails fast (504).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { DestinationController } from '../../controller/destination/index.ts';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { freePort } from '../../src/net/index.ts';
import { discoveringProxy, fileDestination, silentLog, writeAtomically } from '../support/file-mesh.ts';
import { killAll, type Daemon } from '../support/processes.ts';

const run = promisify(execFile);
const IPS = ['127.0.0.21', '127.0.0.22'];

const service = (port: number): string => `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  clusterIP: 10.96.0.10
  ports: [{ name: http, port: 80, targetPort: ${port} }]
`;
const slice = (ips: readonly string[], port: number): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: shop, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints: ${JSON.stringify(ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })))}
`;

describe('nodemesh proxy routing through the destination service', () => {
  let dir: string;
  let source: FileResourceSource;
  let controller: DestinationController;
  let proxy: Daemon;
  let outbound: string;
  let appPort: number;
  const apps: Server[] = [];

  before(async () => {
    appPort = await freePort(IPS[0]);
    for (const ip of IPS) {
      // A little latency, so that concurrent requests overlap and load-aware balancing spreads them.
      const app = createServer((req, res) => void setTimeout(() => res.end(`hello from ${ip}`), 20));
      app.listen(appPort, ip);
      await once(app, 'listening');
      apps.push(app);
    }
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-proxy-discovery-'));
    await writeFile(path.join(dir, 'web.yaml'), service(appPort));
    await writeFile(path.join(dir, 'slice.yaml'), slice([IPS[0] ?? ''], appPort));
    source = new FileResourceSource({ log: silentLog }, { folder: dir, pollIntervalMs: 100 });
    controller = fileDestination(source);
    const started = await discoveringProxy(await controller.start(), {
      NODEMESH_PROXY_OUTBOUND_FAILFAST_TIMEOUT: '300ms',
    });
    proxy = started.proxy;
    outbound = `127.0.0.1:${started.outboundPort}`;
  });

  after(async () => {
    await proxy?.stop();
    killAll();
    await controller?.close(500);
    await source?.close();
    for (const app of apps) app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = async (): Promise<string> =>
    (
      await run('curl', [
        '-sS',
        '-i',
        '--max-time',
        '10',
        `http://${outbound}/`,
        '-H',
        'Host: web.shop.svc.cluster.local',
      ])
    ).stdout;

  test('sends a request for a Service name to its endpoint from discovery', async () => {
    assert.match(await get(), /hello from 127\.0\.0\.21$/);
  });

  test('spreads concurrent requests over endpoints added while it runs', async () => {
    await writeAtomically(path.join(dir, 'slice.yaml'), slice(IPS, appPort));
    const seen = new Set<string>();
    // P2C over peak-EWMA sends sequential requests to the fastest endpoint; concurrent ones
    // raise its load and spill over to the new endpoint.
    for (let i = 0; i < 30 && seen.size < 2; i++) {
      const bodies = await Promise.all(Array.from({ length: 8 }, () => get()));
      for (const b of bodies) {
        const ip = /hello from (\S+)$/.exec(b)?.[1];
        if (ip !== undefined) seen.add(ip);
      }
      if (seen.size < 2) await new Promise((r) => setTimeout(r, 30));
    }
    assert.deepEqual([...seen].sort(), IPS);
  });

  test('fails fast with 504 when the Service has no ready endpoints', async () => {
    await writeAtomically(path.join(dir, 'slice.yaml'), slice([], appPort));
    let response = '';
    // Requests wait in the balancer's queue for the fail-fast timeout (300 ms here), then fail.
    for (let i = 0; i < 100; i++) {
      response = await get();
      if (response.startsWith('HTTP/1.1 504')) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.match(response, /^HTTP\/1\.1 504/);
    assert.match(response, /l5d-proxy-error: web\.shop\.svc\.cluster\.local:80 has no ready endpoint \(fail-fast\)/);
  });
});
