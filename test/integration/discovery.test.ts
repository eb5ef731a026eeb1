// The proxy's discovery client (proxy/discovery) against the real destination service on loopback,
// over a watched folder of YAML: endpoints and profiles arrive, follow edits, survive a restart of
// the destination service (the last state is served meanwhile), and streams close when a target
// goes idle.

import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from '../../src/metrics/index.ts';
import { DestinationController } from '../../controller/destination/index.ts';
import {
  DestinationResolver,
  GrpcDiscoveryStreams,
  endpointsOf,
  type EndpointSet,
  type ProfileHandle,
  type ResolutionHandle,
} from '../../proxy/discovery/index.ts';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { createLogger } from '../../src/log/index.ts';

const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });
const WEB = { authority: 'web.shop.svc.cluster.local:80' };
const IDLE_MS = 300;

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  clusterIP: 10.96.0.10
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-a
  namespace: shop
  labels: { nodemesh.io/control-plane-ns: nodemesh }
spec: { serviceAccountName: web, containers: [{ name: app, image: app }] }
---
apiVersion: nodemesh.io/v1alpha2
kind: ServiceProfile
metadata: { name: web.shop.svc.cluster.local, namespace: shop }
spec:
  routes: [{ name: get-books, condition: { method: GET, pathRegex: /books } }]
`;
function slice(ips: readonly string[]): string {
  const endpoints = ips.map((ip, i) => ({
    addresses: [ip],
    conditions: { ready: true },
    ...(i === 0 ? { targetRef: { kind: 'Pod', name: 'web-a', namespace: 'shop' } } : {}),
  }));
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: shop, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: 8080 }]
endpoints: ${JSON.stringify(endpoints)}
`;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeFile(temp, text);
  await rename(temp, file);
}

/** Polls `check` every 20 ms until it is true, failing after `timeoutMs`. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const hosts = (set: EndpointSet): string[] => endpointsOf(set).map((e) => e.host);

describe('discovery client against the destination service', () => {
  let dir: string;
  let source: FileResourceSource;
  let controller: DestinationController;
  let serverRegistry: Registry;
  let port: number;
  let streams: GrpcDiscoveryStreams;
  let resolver: DestinationResolver;
  const clientRegistry = new Registry();
  const handles: (ResolutionHandle | ProfileHandle)[] = [];

  async function startServer(atPort: number): Promise<number> {
    source = new FileResourceSource({ log }, { folder: dir, pollIntervalMs: 100 });
    serverRegistry = new Registry();
    controller = new DestinationController(
      { source, log, registry: serverRegistry },
      {
        listenAddr: { host: '127.0.0.1', port: atPort },
        clusterDomain: 'cluster.local',
        controlNamespace: 'nodemesh',
        trustDomain: 'cluster.local',
        defaultOpaquePorts: [3306],
        streamQueueCapacity: 100,
      },
    );
    return controller.start();
  }
  async function stopServer(): Promise<void> {
    await controller.close(500);
    await source.close();
  }
  async function failedStreams(): Promise<number> {
    const metric = await clientRegistry.getSingleMetric('discovery_stream_ends_total')?.get();
    return (metric?.values ?? []).filter((v) => v.labels['classification'] === 'UNAVAILABLE').length;
  }
  async function serverStreams(): Promise<number> {
    const metric = await serverRegistry.getSingleMetric('destination_streams')?.get();
    return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-discovery-it-'));
    await writeFile(path.join(dir, 'web.yaml'), SERVICE);
    await writeFile(path.join(dir, 'slice.yaml'), slice(['10.1.0.1']));
    port = await startServer(0);
    streams = new GrpcDiscoveryStreams({ addresses: [{ host: '127.0.0.1', port }] });
    resolver = new DestinationResolver(
      { streams, log, registry: clientRegistry },
      { contextToken: '{"ns":"shop"}', idleTimeoutMs: IDLE_MS, backoff: { minMs: 50, maxMs: 200 } },
    );
  });

  after(async () => {
    for (const h of handles) h.release();
    resolver.close();
    streams.close();
    await stopServer();
    await rm(dir, { recursive: true, force: true });
  });

  function resolve(): ResolutionHandle {
    const h = resolver.resolve(WEB);
    handles.push(h);
    return h;
  }

  test('resolves the endpoints of a Service with identity, hint and labels', async () => {
    const h = resolve();
    await waitFor('the first endpoints', () => h.current().state.kind === 'endpoints');
    const [e] = endpointsOf(h.current());
    assert.equal(e?.host, '10.1.0.1');
    assert.equal(e?.port, 8080);
    assert.equal(e?.weight, 10_000);
    assert.equal(e?.identity, 'web.shop.serviceaccount.identity.nodemesh.cluster.local');
    assert.equal(e?.protocolHint, 'h2');
    assert.equal(e?.labels['service'], 'web');
    assert.equal(e?.labels['namespace'], 'shop');
  });

  test('follows the YAML as the Service scales up and down', async () => {
    const h = resolve();
    const seen: string[][] = [];
    h.onChange((s) => seen.push(hosts(s)));
    await writeAtomically(path.join(dir, 'slice.yaml'), slice(['10.1.0.1', '10.1.0.2']));
    await waitFor('the scale-up', () => hosts(h.current()).length === 2);
    await writeAtomically(path.join(dir, 'slice.yaml'), slice(['10.1.0.2']));
    await waitFor('the scale-down', () => hosts(h.current()).join() === '10.1.0.2');
    assert.deepEqual(seen.at(-1), ['10.1.0.2']);
  });

  test('resolves the profile, compiled', async () => {
    const p = resolver.resolveProfile(WEB);
    handles.push(p);
    await waitFor('the profile', () => p.current().kind === 'profile');
    assert.equal(p.profile()?.fullyQualifiedName, 'web.shop.svc.cluster.local');
    assert.deepEqual(
      p.compiled()?.routes.map((r) => r.name),
      ['get-books'],
    );
    assert.equal(p.compiled()?.matchRoute({ method: 'GET', path: '/books' })?.name, 'get-books');
  });

  test('reports unknown names as no-endpoints exists=false, and no profile outside the cluster', async () => {
    const h = resolver.resolve({ authority: 'nope.shop.svc.cluster.local:80' });
    const p = resolver.resolveProfile({ authority: 'example.com:443' });
    handles.push(h, p);
    await waitFor('no-endpoints', () => h.current().state.kind === 'no-endpoints');
    assert.deepEqual(h.current().state, { kind: 'no-endpoints', exists: false });
    await waitFor('no profile', () => p.current().kind === 'none');
  });

  test('keeps serving the last endpoints while the destination service is down, and catches up after', async () => {
    const h = resolve();
    await waitFor('current endpoints', () => hosts(h.current()).join() === '10.1.0.2');
    await stopServer();
    await writeAtomically(path.join(dir, 'slice.yaml'), slice(['10.1.0.2', '10.1.0.3']));
    await waitFor('a failed reconnect', async () => (await failedStreams()) > 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(hosts(h.current()), ['10.1.0.2'], 'the last endpoints are still served');
    const p = resolver.resolveProfile(WEB);
    handles.push(p);
    assert.equal(p.current().kind, 'profile', 'and the last profile');

    assert.equal(await startServer(port), port);
    await waitFor('the new endpoints', () => hosts(h.current()).join() === '10.1.0.2,10.1.0.3', 5000);
    // Get web, GetProfile web and Get nope are back; GetProfile example.com is not retried.
    await waitFor('the streams back on the server', async () => (await serverStreams()) === 3, 5000);
  });

  test('closes the streams of targets left unused for the idle timeout', async () => {
    assert.ok((await serverStreams()) > 0);
    for (const h of handles.splice(0)) h.release();
    await waitFor('eviction', () => resolver.stats().targets === 0, IDLE_MS + 2000);
    await waitFor('server-side streams to close', async () => (await serverStreams()) === 0, 2000);
  });
});
