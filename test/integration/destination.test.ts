// The destination service end to end on loopback: the real gRPC server over a watched folder of
// YAML, and a client built from the .proto files alone (@grpc/proto-loader), as a proxy written
// against Linkerd's API would be. Edits to the folder reach open streams within a second; a broken
// file changes nothing else.

import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  credentials,
  loadPackageDefinition,
  status,
  type Client,
  type ClientReadableStream,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Registry } from '../../src/metrics/index.ts';
import { DestinationController } from '../../controller/destination/index.ts';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { createLogger } from '../../src/log/index.ts';

const PROTO_ROOT = fileURLToPath(new URL('../../src/api/proto', import.meta.url));
const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  clusterIP: 10.96.0.10
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;
const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web-a
  namespace: shop
  labels: { nodemesh.io/control-plane-ns: nodemesh }
spec: { serviceAccountName: web, containers: [{ name: app, image: app }] }
`;
function slice(ips: readonly string[]): string {
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: shop, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: 8080 }]
endpoints: ${JSON.stringify(ips.map((ip, i) => ({ addresses: [ip], conditions: { ready: true }, ...(i === 0 ? { targetRef: { kind: 'Pod', name: 'web-a', namespace: 'shop' } } : {}) })))}
`;
}
function profile(route: string): string {
  return `apiVersion: nodemesh.io/v1alpha2
kind: ServiceProfile
metadata: { name: web.shop.svc.cluster.local, namespace: shop }
spec:
  routes: [{ name: ${route}, condition: { method: GET, pathRegex: /books } }]
`;
}

/** Writes through a dot-file and a rename, so the watched folder never shows a half-written file. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeFile(temp, text);
  await rename(temp, file);
}

/** Messages of a stream as they come, with a bounded wait for the next one. */
class Collector<T> {
  readonly messages: T[] = [];
  #taken = 0;
  #waiters: (() => void)[] = [];
  error: (Error & { code?: number }) | undefined;

  constructor(stream: ClientReadableStream<T>) {
    stream.on('data', (m: T) => {
      this.messages.push(m);
      this.#wake();
    });
    stream.on('error', (err: Error & { code?: number }) => {
      this.error = err;
      this.#wake();
    });
  }

  async next(timeoutMs = 1000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length <= this.#taken && this.error === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const m = this.messages[this.#taken];
    if (m === undefined) throw this.error ?? new Error('stream ended');
    this.#taken += 1;
    return m;
  }

  /** True when no new message has come after `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.messages.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.messages.length === before;
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

interface DecodedAddr {
  addr: { ip: { ipv4?: number }; port: number };
  weight: number;
  metricLabels: Record<string, string>;
  tlsIdentity?: { dnsLikeIdentity?: { name: string } };
  protocolHint?: { h2?: object; protocol?: string };
}
interface DecodedUpdate {
  update: 'add' | 'remove' | 'noEndpoints';
  add?: { addrs: DecodedAddr[]; metricLabels: Record<string, string> };
  remove?: { addrs: { ip: { ipv4?: number }; port: number }[] };
  noEndpoints?: { exists: boolean };
}
interface DecodedProfile {
  routes: { metricsLabels: Record<string, string> }[];
  fullyQualifiedName: string;
  opaqueProtocol: boolean;
}

const ipv4 = (n: number | undefined): string =>
  n === undefined ? '?' : [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

interface DestinationStub extends Client {
  get(req: object): ClientReadableStream<DecodedUpdate>;
  getProfile(req: object): ClientReadableStream<DecodedProfile>;
}

describe('destination service over gRPC', () => {
  let dir: string;
  let source: FileResourceSource;
  let controller: DestinationController;
  let client: DestinationStub;
  const streams: ClientReadableStream<unknown>[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-destination-it-'));
    await writeFile(path.join(dir, 'web.yaml'), `${SERVICE}---\n${POD}`);
    await writeFile(path.join(dir, 'slice.yaml'), slice(['10.1.0.1']));
    await writeFile(path.join(dir, 'profile.yaml'), profile('get-books'));
    source = new FileResourceSource({ log }, { folder: dir, pollIntervalMs: 250 });
    controller = new DestinationController(
      { source, log, registry: new Registry() },
      {
        listenAddr: { host: '127.0.0.1', port: 0 },
        clusterDomain: 'cluster.local',
        controlNamespace: 'nodemesh',
        trustDomain: 'cluster.local',
        defaultOpaquePorts: [3306],
        streamQueueCapacity: 100,
      },
    );
    const port = await controller.start();
    const definition = loadSync(path.join(PROTO_ROOT, 'io/linkerd/proxy/destination/destination.proto'), {
      includeDirs: [PROTO_ROOT],
      defaults: true,
      oneofs: true,
      longs: String,
      enums: String,
    });
    const loaded = loadPackageDefinition(definition) as unknown as {
      io: { linkerd: { proxy: { destination: { Destination: ServiceClientConstructor } } } };
    };
    const Destination = loaded.io.linkerd.proxy.destination.Destination;
    client = new Destination(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as DestinationStub;
  });

  after(async () => {
    for (const s of streams) s.cancel();
    client.close();
    await controller.close(1000);
    await source.close();
    await rm(dir, { recursive: true, force: true });
  });

  function get(path: string): Collector<DecodedUpdate> {
    const stream = client.get({ scheme: 'k8s', path, contextToken: '{"ns":"shop"}' });
    streams.push(stream);
    return new Collector(stream);
  }
  function getProfile(path: string): Collector<DecodedProfile> {
    const stream = client.getProfile({ scheme: 'k8s', path, contextToken: '{"ns":"shop"}' });
    streams.push(stream);
    return new Collector(stream);
  }

  test('Get streams the endpoints, then the changes a YAML edit makes', async () => {
    const web = get('web.shop.svc.cluster.local:80');
    const first = await web.next();
    assert.equal(first.update, 'add');
    const [addr] = first.add?.addrs ?? [];
    assert.equal(ipv4(addr?.addr.ip.ipv4), '10.1.0.1');
    assert.equal(addr?.addr.port, 8080);
    assert.equal(addr?.weight, 10_000);
    assert.equal(addr?.tlsIdentity?.dnsLikeIdentity?.name, 'web.shop.serviceaccount.identity.nodemesh.cluster.local');
    assert.equal(addr?.protocolHint?.protocol, 'h2');
    assert.deepEqual(first.add?.metricLabels, { service: 'web', namespace: 'shop' });

    await writeAtomically(path.join(dir, 'slice.yaml'), slice(['10.1.0.1', '10.1.0.2']));
    const scaled = await web.next(1000);
    assert.equal(scaled.update, 'add');
    assert.deepEqual(
      scaled.add?.addrs.map((a) => ipv4(a.addr.ip.ipv4)),
      ['10.1.0.2'],
    );

    await writeAtomically(path.join(dir, 'slice.yaml'), slice(['10.1.0.1']));
    const down = await web.next(1000);
    assert.equal(down.update, 'remove');
    assert.deepEqual(
      down.remove?.addrs.map((a) => ipv4(a.ip.ipv4)),
      ['10.1.0.2'],
    );
  });

  test('Get by ClusterIP answers for that Service', async () => {
    const first = await get('10.96.0.10:80').next();
    assert.equal(first.update, 'add');
    assert.equal(ipv4(first.add?.addrs[0]?.addr.ip.ipv4), '10.1.0.1');
  });

  test('Get says exists=false for names it does not know', async () => {
    for (const p of ['nope.shop.svc.cluster.local:80', 'example.com:443', '10.200.0.1:80']) {
      const first = await get(p).next();
      assert.deepEqual([first.update, first.noEndpoints?.exists], ['noEndpoints', false], p);
    }
  });

  test('GetProfile streams the ServiceProfile, then its edits', async () => {
    const web = getProfile('web.shop.svc.cluster.local:80');
    const first = await web.next();
    assert.equal(first.fullyQualifiedName, 'web.shop.svc.cluster.local');
    assert.deepEqual(
      first.routes.map((r) => r.metricsLabels['route']),
      ['get-books'],
    );
    await writeAtomically(path.join(dir, 'profile.yaml'), profile('list-books'));
    const edited = await web.next(1000);
    assert.deepEqual(
      edited.routes.map((r) => r.metricsLabels['route']),
      ['list-books'],
    );
  });

  test('GetProfile refuses names outside the cluster with INVALID_ARGUMENT', async () => {
    const c = getProfile('example.com:443');
    await assert.rejects(c.next(), (err: Error & { code?: number }) => err.code === status.INVALID_ARGUMENT);
  });

  test('a broken file changes nothing else', async () => {
    const web = get('web.shop.svc.cluster.local:80');
    const prof = getProfile('web.shop.svc.cluster.local:80');
    await web.next();
    await prof.next();
    await writeAtomically(path.join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: [not, a, map\n');
    assert.ok(await web.quietFor(700));
    assert.ok(await prof.quietFor(0));
    assert.ok(source.errors().length > 0);
    const again = await get('web.shop.svc.cluster.local:80').next();
    assert.equal(again.update, 'add');
    await rm(path.join(dir, 'broken.yaml'));
  });
});
