// Gateway API routes through the real `nodemesh destination` process (ADR 0012): a folder of YAML
// (files source) and a client built from the .proto files alone. GetProfile carries the routes
// that apply as JSON (`gateway_routes`); editing the route file re-sends, deleting it sends an
// empty list, an unrelated route sends nothing, and a ServiceProfile with routes hides them.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  credentials,
  loadPackageDefinition,
  type Client,
  type ClientReadableStream,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { freePort } from '../../src/net/index.ts';
import { writeAtomically } from '../support/file-mesh.ts';
import { killAll, startDaemon, waitReady, type Daemon } from '../support/processes.ts';

const PROTO_ROOT = fileURLToPath(new URL('../../src/api/proto', import.meta.url));

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  clusterIP: 10.96.0.10
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;

function route(name: string, parent: string, weights: readonly [number, number]): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: shop
  creationTimestamp: "2026-01-01T00:00:00Z"
spec:
  parentRefs: [{ group: "", kind: Service, name: ${parent}, port: 80 }]
  rules:
    - backendRefs:
        - { name: web-v1, port: 80, weight: ${weights[0]} }
        - { name: web-v2, port: 80, weight: ${weights[1]} }
`;
}

const PROFILE = `apiVersion: nodemesh.io/v1alpha2
kind: ServiceProfile
metadata: { name: web.shop.svc.cluster.local, namespace: shop }
spec:
  routes: [{ name: get-books, condition: { method: GET, pathRegex: /books } }]
`;

interface DecodedProfile {
  fullyQualifiedName: string;
  routes: { metricsLabels: Record<string, string> }[];
  gatewayRoutes: string[];
}

interface DestinationStub extends Client {
  getProfile(req: object): ClientReadableStream<DecodedProfile>;
}

interface RouteJson {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  spec: { rules: { backendRefs: { name: string; weight: number }[] }[] };
}

/** Messages of a stream as they come, with a bounded wait for the next one. */
class Collector<T> {
  readonly messages: T[] = [];
  #taken = 0;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(stream: ClientReadableStream<T>) {
    stream.on('data', (m: T) => {
      this.messages.push(m);
      this.#wake?.();
    });
    stream.on('error', (err: Error) => {
      this.#error = err;
      this.#wake?.();
    });
  }

  async next(timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length <= this.#taken && this.#error === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const m = this.messages[this.#taken];
    if (m === undefined) throw this.#error ?? new Error('stream ended');
    this.#taken += 1;
    return m;
  }

  /** True when no new message has come after `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.messages.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.messages.length === before;
  }
}

const parsed = (p: DecodedProfile): RouteJson[] => p.gatewayRoutes.map((json) => JSON.parse(json) as RouteJson);
const weights = (p: DecodedProfile): number[] =>
  parsed(p).flatMap((r) => r.spec.rules.flatMap((rule) => rule.backendRefs.map((b) => b.weight)));

describe('nodemesh destination serves Gateway API routes in GetProfile', () => {
  let dir: string;
  let daemon: Daemon;
  let client: DestinationStub;
  const streams: ClientReadableStream<unknown>[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-destination-routes-'));
    await writeAtomically(path.join(dir, 'web.yaml'), SERVICE);
    await writeAtomically(path.join(dir, 'route.yaml'), route('web-split', 'web', [90, 10]));
    const [grpcPort, adminPort] = [await freePort(), await freePort()];
    daemon = startDaemon(['destination'], {
      NODEMESH_DESTINATION_SOURCE: 'files',
      NODEMESH_DESTINATION_RESOURCES_DIR: dir,
      NODEMESH_DESTINATION_LISTEN_ADDR: `127.0.0.1:${grpcPort}`,
      NODEMESH_DESTINATION_ADMIN_LISTEN_ADDR: `127.0.0.1:${adminPort}`,
    });
    await waitReady(daemon, `http://127.0.0.1:${adminPort}/ready`);
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
    client = new Destination(`127.0.0.1:${grpcPort}`, credentials.createInsecure()) as unknown as DestinationStub;
  });

  after(async () => {
    for (const s of streams) s.cancel();
    client?.close();
    await daemon?.stop();
    killAll();
    await rm(dir, { recursive: true, force: true });
  });

  function getProfile(): Collector<DecodedProfile> {
    const stream = client.getProfile({
      scheme: 'k8s',
      path: 'web.shop.svc.cluster.local:80',
      contextToken: '{"ns":"shop"}',
    });
    streams.push(stream);
    return new Collector(stream);
  }

  test('the route JSON, live edits, deletion, and a ServiceProfile taking over', async () => {
    const web = getProfile();
    const first = await web.next();
    assert.equal(first.fullyQualifiedName, 'web.shop.svc.cluster.local');
    const [json] = parsed(first);
    assert.deepEqual(
      [json?.apiVersion, json?.kind, json?.metadata],
      [
        'gateway.networking.k8s.io/v1',
        'HTTPRoute',
        { name: 'web-split', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
      ],
    );
    assert.deepEqual(weights(first), [90, 10]);

    await writeAtomically(path.join(dir, 'route.yaml'), route('web-split', 'web', [50, 50]));
    assert.deepEqual(weights(await web.next()), [50, 50], 'an edit of the route file is re-sent');

    await writeAtomically(path.join(dir, 'other.yaml'), route('other-split', 'other', [1, 1]));
    assert.ok(await web.quietFor(1500), 'a route of another Service sends nothing');

    await rm(path.join(dir, 'route.yaml'));
    assert.deepEqual((await web.next()).gatewayRoutes, [], 'deleting the route sends an empty list');

    await writeAtomically(path.join(dir, 'route.yaml'), route('web-split', 'web', [90, 10]));
    assert.deepEqual(weights(await web.next()), [90, 10]);

    await writeAtomically(path.join(dir, 'profile.yaml'), PROFILE);
    const hidden = await web.next();
    assert.deepEqual(hidden.gatewayRoutes, [], 'a ServiceProfile with routes wins');
    assert.deepEqual(
      hidden.routes.map((r) => r.metricsLabels['route']),
      ['get-books'],
    );
  });
});
