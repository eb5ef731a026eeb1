// Endpoint churn for the soak: edits the destination's YAML folder (the local mesh's resources
// copy) so the proxies see endpoints removed and added while traffic runs.
//
// - The demo's `web` Service: its EndpointSlice (in shop.yaml) cycles both replicas → only the
//   first → both → only the second → … (one replica out at a time, never none).
// - A `grpc` Service the soak adds (soak-grpc.yaml): unmeshed h2c endpoints (no pod), cycling the
//   same way.
// Files are written as a dot-file and renamed over the old one (the folder source ignores
// dot-files), so the destination never reads half a file.
//
// Contract: install() writes the gRPC Service once; step() applies the next state of both
// services and says which web replica (pod name) is out, if any.

import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

export interface SoakChurnOptions {
  readonly resourcesDir: string;
  /** Addresses of the gRPC endpoints (the soak's upstreams) and their port. */
  readonly grpcIps: readonly string[];
  readonly grpcPort: number;
  /** The Service's cluster IP (any unused one) and port. */
  readonly grpcClusterIp: string;
  readonly grpcServicePort: number;
}

interface WebEndpoint {
  readonly addresses: readonly string[];
  readonly targetRef?: { readonly name?: string };
}

export interface ChurnStep {
  /** Web replica (pod name) out of the EndpointSlice after this step, if any. */
  readonly webOut: string | undefined;
  readonly grpcOut: string | undefined;
  /** Endpoints added and removed by this step, both services. */
  readonly added: number;
  readonly removed: number;
}

export class SoakChurn {
  readonly #o: SoakChurnOptions;
  readonly #shop: string;
  #shopDocs: unknown[] = [];
  #webEndpoints: WebEndpoint[] = [];
  #step = 0;
  #webOut: number | undefined;
  #grpcOut: number | undefined;

  constructor(o: SoakChurnOptions) {
    this.#o = o;
    this.#shop = path.join(o.resourcesDir, 'shop.yaml');
  }

  async install(): Promise<void> {
    this.#shopDocs = parseAllDocuments(await readFile(this.#shop, 'utf8')).map((d) => d.toJS() as unknown);
    const slice = this.#webSlice();
    this.#webEndpoints = [...((slice?.endpoints as WebEndpoint[] | undefined) ?? [])];
    if (this.#webEndpoints.length < 2) throw new Error(`soak: ${this.#shop} has no web EndpointSlice with 2 endpoints`);
    await this.#writeGrpc();
  }

  /** The next churn state: a replica out when it was complete, complete when one was out. */
  async step(): Promise<ChurnStep> {
    const wasOut = this.#webOut !== undefined;
    const i = this.#step++;
    // 0: first out, 1: back, 2: second out, 3: back, …
    this.#webOut = i % 2 === 0 ? (i / 2) % this.#webEndpoints.length : undefined;
    this.#grpcOut = i % 2 === 0 ? (i / 2) % this.#o.grpcIps.length : undefined;
    await this.#writeWeb();
    await this.#writeGrpc();
    const change = wasOut ? { added: 2, removed: 0 } : { added: 0, removed: 2 };
    return {
      webOut: this.#webOut === undefined ? undefined : this.#webEndpoints[this.#webOut]?.targetRef?.name,
      grpcOut: this.#grpcOut === undefined ? undefined : this.#o.grpcIps[this.#grpcOut],
      ...change,
    };
  }

  #webSlice(): Record<string, unknown> | undefined {
    return this.#shopDocs.find((d): d is Record<string, unknown> => {
      const o = d as { kind?: unknown; metadata?: { labels?: Record<string, unknown> } } | null;
      return o?.kind === 'EndpointSlice' && o.metadata?.labels?.['kubernetes.io/service-name'] === 'web';
    });
  }

  async #writeWeb(): Promise<void> {
    const slice = this.#webSlice();
    if (slice === undefined) return;
    slice.endpoints = this.#webEndpoints.filter((_, i) => i !== this.#webOut);
    await writeAtomic(this.#shop, this.#shopDocs.map((d) => stringify(d)).join('---\n'));
  }

  async #writeGrpc(): Promise<void> {
    const o = this.#o;
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'grpc', namespace: 'shop' },
      spec: {
        clusterIP: o.grpcClusterIp,
        ports: [{ name: 'grpc', port: o.grpcServicePort, targetPort: o.grpcPort }],
      },
    };
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'grpc-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'grpc' } },
      addressType: 'IPv4',
      ports: [{ name: 'grpc', port: o.grpcPort }],
      endpoints: o.grpcIps
        .filter((_, i) => i !== this.#grpcOut)
        .map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    };
    await writeAtomic(
      path.join(o.resourcesDir, 'soak-grpc.yaml'),
      `# Written by npm run bench -- soak.\n${stringify(service)}---\n${stringify(slice)}`,
    );
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, file);
}
