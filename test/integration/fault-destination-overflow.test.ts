// A destination stream overflowing its queue: a real `nodemesh proxy` that stops reading (frozen
// with SIGSTOP) while its Service's 500 endpoints are replaced again and again. The destination
// service's per-stream queue (capacity 2 here) overflows, the stream is closed with
// RESOURCE_EXHAUSTED and counted; once the proxy runs again it reconnects and converges on the
// current state — the Service's one real endpoint — and serves from it: no update is lost.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DestinationController } from '../../controller/destination/index.ts';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { Registry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { freePort } from '../../src/net/index.ts';
import { discoveringProxy, silentLog, writeAtomically } from '../support/file-mesh.ts';
import { killAll, type Daemon } from '../support/processes.ts';

const APP_IP = '127.0.0.71';
const SERVICE = 'web.shop.svc.cluster.local';

const serviceYaml = (port: number): string => `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  ports: [{ name: http, port: 80, targetPort: ${port} }]
`;

/** An EndpointSlice of `addresses`, all ready. */
const slice = (port: number, addresses: readonly string[]): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: shop, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints:
${addresses.map((a) => `  - { addresses: ["${a}"], conditions: { ready: true } }`).join('\n')}
`;

/** 500 addresses that answer nothing (10.x: never routed to in this test), different per round. */
const decoys = (round: number): string[] =>
  Array.from({ length: 500 }, (_, i) => `10.${(round % 200) + 1}.${Math.floor(i / 250)}.${(i % 250) + 1}`);

describe('a destination stream overflowing its queue', () => {
  let dir: string;
  let source: FileResourceSource;
  let controller: DestinationController;
  const registry = new Registry();
  let proxy: Daemon;
  let outboundPort: number;
  let app: Server;
  let appPort: number;

  before(async () => {
    appPort = await freePort(APP_IP);
    app = createServer((_req, res) => res.end('real'));
    app.listen(appPort, APP_IP);
    await once(app, 'listening');
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-destination-overflow-'));
    await writeFile(path.join(dir, 'web.yaml'), serviceYaml(appPort));
    await writeFile(path.join(dir, 'slice.yaml'), slice(appPort, [APP_IP]));
    source = new FileResourceSource({ log: silentLog }, { folder: dir, pollIntervalMs: 50 });
    controller = new DestinationController(
      { source, log: silentLog, registry },
      {
        listenAddr: { host: '127.0.0.1', port: 0 },
        clusterDomain: 'cluster.local',
        controlNamespace: 'nodemesh',
        trustDomain: 'cluster.local',
        defaultOpaquePorts: [],
        streamQueueCapacity: 2,
      },
    );
    ({ proxy, outboundPort } = await discoveringProxy(await controller.start()));
  });

  after(async () => {
    if (proxy?.proc.exitCode === null) proxy.proc.kill('SIGCONT');
    await proxy?.stop();
    killAll();
    await controller?.close(500);
    await source?.close();
    app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (): Promise<{ status: number; body: string }> =>
    new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: outboundPort, path: '/', headers: { host: SERVICE } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.setTimeout(2_000, () => req.destroy());
      req.on('error', (err) => resolve({ status: 0, body: err.message }));
      req.end();
    });

  const overflows = async (): Promise<number> =>
    sumSamples(parsePrometheusText(await registry.metrics()), 'destination_stream_queue_overflow_total');

  test('the overflowed stream is closed, and the proxy reconnects and converges on the current endpoints', async () => {
    assert.equal((await get()).body, 'real', 'served before the stall');

    proxy.proc.kill('SIGSTOP');
    try {
      // Replace all 500 endpoints every 100 ms until the queue overflows (bounded: 100 rounds).
      for (let round = 0; round < 100 && (await overflows()) === 0; round++) {
        await writeAtomically(path.join(dir, 'slice.yaml'), slice(appPort, decoys(round)));
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok((await overflows()) >= 1, 'the stream of the stalled proxy overflowed and was closed');
      // The current state: the one real endpoint again.
      await writeAtomically(path.join(dir, 'slice.yaml'), slice(appPort, [APP_IP]));
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      proxy.proc.kill('SIGCONT');
    }

    let last = { status: 0, body: '' };
    for (let i = 0; i < 100 && last.body !== 'real'; i++) {
      last = await get();
      if (last.body !== 'real') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(last.body, 'real', `converged on the current endpoint (last answer: ${last.status} ${last.body})`);
    // And it stays there: the decoys of the lost updates are gone, not merged back.
    for (let i = 0; i < 20; i++) assert.equal((await get()).body, 'real');
  });
});
