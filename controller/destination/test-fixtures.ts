// Test helper (never used by product code): Kubernetes YAML for Services, EndpointSlices and Pods,
// and a FileResourceSource on a temporary folder that tests rewrite and refresh.

import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { createLogger, type Logger } from '../../src/log/index.ts';

export const silentLog: Logger = createLogger({
  config: { level: 'silent', format: 'json', trace: [] },
  name: 'test',
});

export interface ServiceYaml {
  readonly name: string;
  readonly namespace?: string;
  readonly clusterIP?: string;
  readonly ports?: readonly { readonly name?: string; readonly port: number; readonly targetPort?: number }[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export function serviceYaml(s: ServiceYaml): string {
  const ports = s.ports ?? [{ name: 'http', port: 80, targetPort: 8080 }];
  return `apiVersion: v1
kind: Service
metadata:
  name: ${s.name}
  namespace: ${s.namespace ?? 'shop'}
  annotations: ${JSON.stringify(s.annotations ?? {})}
spec:
  clusterIP: ${s.clusterIP ?? '10.96.0.10'}
  ports: ${JSON.stringify(ports.map((p) => ({ ...p, targetPort: p.targetPort ?? p.port })))}
`;
}

export interface EndpointYaml {
  readonly ip: string;
  readonly pod?: string;
  readonly ready?: boolean;
  readonly zone?: string;
}

export function sliceYaml(s: {
  readonly name: string;
  readonly service: string;
  readonly namespace?: string;
  readonly ports?: readonly { readonly name?: string; readonly port: number }[];
  readonly endpoints: readonly EndpointYaml[];
}): string {
  const ns = s.namespace ?? 'shop';
  const endpoints = s.endpoints.map((e) => ({
    addresses: [e.ip],
    conditions: { ready: e.ready ?? true },
    ...(e.zone === undefined ? {} : { zone: e.zone }),
    ...(e.pod === undefined ? {} : { targetRef: { kind: 'Pod', name: e.pod, namespace: ns } }),
  }));
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${s.name}
  namespace: ${ns}
  labels: { kubernetes.io/service-name: ${s.service} }
addressType: IPv4
ports: ${JSON.stringify(s.ports ?? [{ name: 'http', port: 8080 }])}
endpoints: ${JSON.stringify(endpoints)}
`;
}

export function podYaml(p: {
  readonly name: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly meshedBy?: string;
  readonly deployment?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}): string {
  const labels: Record<string, string> = {};
  if (p.meshedBy !== undefined) labels['nodemesh.io/control-plane-ns'] = p.meshedBy;
  if (p.deployment !== undefined) labels['pod-template-hash'] = '5d8f9c';
  const owners =
    p.deployment === undefined
      ? []
      : [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${p.deployment}-5d8f9c`, uid: 'u1', controller: true }];
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${p.name}
  namespace: ${p.namespace ?? 'shop'}
  labels: ${JSON.stringify(labels)}
  annotations: ${JSON.stringify(p.annotations ?? {})}
  ownerReferences: ${JSON.stringify(owners)}
spec:
  serviceAccountName: ${p.serviceAccount ?? 'default'}
  containers: [{ name: app, image: app }]
`;
}

/** A FileResourceSource on a fresh temporary folder. */
export class TempFolderSource {
  readonly dir: string;
  readonly source: FileResourceSource;

  private constructor(dir: string) {
    this.dir = dir;
    this.source = new FileResourceSource({ log: silentLog }, { folder: dir, pollIntervalMs: 200, debounceMs: 20 });
  }

  static async create(files: Readonly<Record<string, string>> = {}): Promise<TempFolderSource> {
    const t = new TempFolderSource(await mkdtemp(path.join(tmpdir(), 'nodemesh-destination-')));
    for (const [name, text] of Object.entries(files)) await writeAtomically(path.join(t.dir, name), text);
    return t;
  }

  /** Writes (or, with undefined, removes) files, then waits until the caches reflect the folder. */
  async set(files: Readonly<Record<string, string | undefined>>): Promise<void> {
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(this.dir, name);
      if (text === undefined) await rm(file, { force: true });
      else await writeAtomically(file, text);
    }
    await this.source.refresh();
  }

  async close(): Promise<void> {
    await this.source.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Writes through a dot-file (which the source ignores) and a rename, so the source's own watcher
 * never reads a half-written file and fires events the test did not ask for.
 */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeFile(temp, text);
  await rename(temp, file);
}
