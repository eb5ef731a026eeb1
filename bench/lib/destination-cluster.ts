// A synthetic cluster for the destination benchmark, kept in the fake Kubernetes API server, and
// the endpoint churn applied to it: Services, one EndpointSlice per Service (≤ 100 endpoints, as
// the EndpointSlice controller cuts them) and a meshed Pod behind every endpoint.
//
// One change = one endpoint replaced, the way a rolling restart replaces a pod: the new Pod exists
// (with its IP) a little before the slice lists it, the slice is updated to swap the old endpoint
// for the new one (the measured moment), and the old Pod is deleted a little later. So per change
// the API server sends one EndpointSlice MODIFIED and two Pod events (ADDED, DELETED), and every
// Get stream on that Service must see `+new` and `-old`.
//
// Contract: populate() once before the controller starts; change() applies the next change and
// returns what streams must see. Addresses are unique for the life of a cluster (10.0.0.0/8 from
// 10.0.0.1 up), so an address names one endpoint and one change.

import { createHash } from 'node:crypto';
import type { FakeApiServer, FakeObject } from '../../src/k8s/testing.ts';

export interface ClusterShape {
  readonly services: number;
  readonly endpointsPerService: number;
  readonly namespaces: number;
}

export interface EndpointChange {
  readonly service: number;
  readonly added: string;
  readonly removed: string;
  /** performance.timeOrigin + performance.now() just before the slice update was made. */
  readonly at: number;
}

interface Endpoint {
  readonly ip: string;
  readonly pod: string;
}

const PORT = 8080;
const HASH = '7d9f8c6b5';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A short digest of a set of addresses (order does not matter). */
export function fingerprint(addresses: Iterable<string>): string {
  return createHash('sha256')
    .update([...addresses].sort().join(','))
    .digest('hex')
    .slice(0, 16);
}

export class BenchCluster {
  readonly shape: ClusterShape;
  readonly #api: FakeApiServer;
  readonly #endpoints: Endpoint[][] = [];
  /** Pods created ahead of their change, and pods whose deletion is due later. */
  readonly #ready: { service: number; endpoint: Endpoint }[] = [];
  readonly #retiring: { service: number; pod: string }[] = [];
  readonly #lead: number;
  #nextAddress = 1;
  #nextPod = 0;
  #changes = 0;
  #random = 0x2545f491;

  /** `lead`: how many changes ahead new pods are created and old pods deleted behind. */
  constructor(api: FakeApiServer, shape: ClusterShape, lead: number) {
    this.#api = api;
    this.shape = shape;
    this.#lead = Math.max(1, lead);
  }

  /** `<svc>.<ns>.svc.cluster.local:80` of Service `i`. */
  static path(i: number, namespaces: number): string {
    return `svc-${i}.ns-${i % namespaces}.svc.cluster.local:80`;
  }

  path(i: number): string {
    return BenchCluster.path(i, this.shape.namespaces);
  }

  /** The addresses Service `i` has now (what every stream on it must hold in the end). */
  addresses(i: number): string[] {
    return (this.#endpoints[i] ?? []).map((e) => e.ip);
  }

  /** Creates every Service, Pod and EndpointSlice. */
  populate(): { objects: number; podJsonBytes: number } {
    let objects = 0;
    for (let s = 0; s < this.shape.services; s++) {
      this.#api.add(this.#service(s));
      const endpoints: Endpoint[] = [];
      for (let e = 0; e < this.shape.endpointsPerService; e++) {
        const endpoint = this.#newEndpoint();
        this.#api.add(this.#pod(s, endpoint));
        endpoints.push(endpoint);
      }
      this.#endpoints.push(endpoints);
      this.#api.add(this.#slice(s));
      objects += 2 + endpoints.length;
    }
    for (let i = 0; i < this.#lead; i++) this.#prepare();
    const sample = this.#pod(0, { ip: '10.255.255.254', pod: 'svc-0-sample' });
    return { objects, podJsonBytes: JSON.stringify(sample).length };
  }

  /** Applies the next change (see the file header). */
  change(): EndpointChange {
    this.#prepare();
    const next = this.#ready.shift();
    if (next === undefined) throw new Error('bench cluster: no prepared pod');
    const { service, endpoint } = next;
    const endpoints = this.#endpoints[service] ?? [];
    const index = this.#randomBelow(endpoints.length);
    const old = endpoints[index];
    if (old === undefined) throw new Error(`bench cluster: service ${service} has no endpoint ${index}`);
    endpoints[index] = endpoint;
    const slice = this.#slice(service);
    const at = nowMs();
    this.#api.update(slice);
    this.#retiring.push({ service, pod: old.pod });
    if (this.#retiring.length > this.#lead) {
      const gone = this.#retiring.shift();
      if (gone !== undefined) {
        this.#api.remove({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { namespace: this.#namespace(gone.service), name: gone.pod },
        });
      }
    }
    return { service, added: endpoint.ip, removed: old.ip, at };
  }

  /** Creates the pod of a future change (round robin over Services). */
  #prepare(): void {
    const service = this.#changes % this.shape.services;
    this.#changes += 1;
    const endpoint = this.#newEndpoint();
    this.#api.add(this.#pod(service, endpoint));
    this.#ready.push({ service, endpoint });
  }

  #newEndpoint(): Endpoint {
    const n = this.#nextAddress++;
    const ip = `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    return { ip, pod: `pod-${this.#nextPod++}` };
  }

  #randomBelow(n: number): number {
    // xorshift32: a fixed sequence, so runs change the same endpoints.
    let x = this.#random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#random = x >>> 0;
    return this.#random % n;
  }

  #namespace(service: number): string {
    return `ns-${service % this.shape.namespaces}`;
  }

  #service(s: number): FakeObject {
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${s}`, namespace: this.#namespace(s), labels: { app: `svc-${s}` } },
      spec: {
        type: 'ClusterIP',
        clusterIP: `10.96.${(s >>> 8) & 255}.${s & 255}`,
        clusterIPs: [`10.96.${(s >>> 8) & 255}.${s & 255}`],
        selector: { app: `svc-${s}` },
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: PORT }],
      },
    };
  }

  #slice(s: number): FakeObject {
    const namespace = this.#namespace(s);
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `svc-${s}-abcde`,
        namespace,
        labels: { 'kubernetes.io/service-name': `svc-${s}`, 'endpointslice.kubernetes.io/managed-by': 'bench' },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: PORT, protocol: 'TCP' }],
      endpoints: (this.#endpoints[s] ?? []).map((e) => ({
        addresses: [e.ip],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: 'node-1',
        zone: 'zone-a',
        targetRef: { kind: 'Pod', namespace, name: e.pod },
      })),
    };
  }

  /** A meshed pod about the size of a real one (two containers, the proxy's environment, status). */
  #pod(s: number, endpoint: Endpoint): FakeObject {
    const namespace = this.#namespace(s);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: endpoint.pod,
        namespace,
        labels: { app: `svc-${s}`, 'pod-template-hash': HASH, 'nodemesh.io/control-plane-ns': 'nodemesh' },
        annotations: { 'nodemesh.io/inject': 'enabled', 'nodemesh.io/proxy-version': '0.1.0' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `svc-${s}-${HASH}`, uid: 'rs', controller: true },
        ],
      },
      spec: {
        serviceAccountName: `svc-${s}`,
        nodeName: 'node-1',
        containers: [
          { name: 'app', image: 'example/app:1.0', ports: [{ name: 'http', containerPort: PORT }] },
          {
            name: 'nodemesh-proxy',
            image: 'nodemesh:0.1.0',
            args: ['proxy'],
            env: [
              'NODEMESH_PROXY_DESTINATION_SVC_ADDR',
              'NODEMESH_PROXY_IDENTITY_SVC_ADDR',
              'NODEMESH_PROXY_IDENTITY_SVC_NAME',
              'NODEMESH_PROXY_IDENTITY_LOCAL_NAME',
              'NODEMESH_PROXY_INBOUND_LISTEN_ADDR',
              'NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS',
            ].map((name) => ({ name, value: `value-of-${name.toLowerCase()}` })),
            ports: [
              { name: 'nodemesh-proxy', containerPort: 4143 },
              { name: 'nodemesh-admin', containerPort: 4191 },
            ],
          },
        ],
      },
      status: {
        phase: 'Running',
        podIP: endpoint.ip,
        podIPs: [{ ip: endpoint.ip }],
        hostIP: '192.168.0.10',
        conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
          type,
          status: 'True',
        })),
      },
    };
  }
}
