// Which pods carry a nodemesh proxy and how to reach its admin server, read from Pod objects as
// the API server lists them (pure). A meshed pod has a container named `nodemesh-proxy`, as a
// regular container or a native sidecar (an init container with restartPolicy Always); its admin
// port is the container port named `nodemesh-admin` (4191 by default). These names and the
// `nodemesh.io/proxy-<kind>` owner label are the injector's (controller/injector/names.ts, which
// src/ may not import: ARCHITECTURE.md §4).
//
// The workload is what the injector labelled the pod with (`nodemesh.io/proxy-deployment: web`),
// else the pod's controller ownerReference — a ReplicaSet named `<deployment>-<pod-template-hash>`
// standing for its Deployment, as controller/injector/owner.ts decides — else the pod itself.

import { containerEnv, controlPortOf, proxyIdentityOf } from './proxy-env.ts';

export const PROXY_CONTAINER_NAME = 'nodemesh-proxy';
export const ADMIN_PORT_NAME = 'nodemesh-admin';
export const DEFAULT_ADMIN_PORT = 4191;
/** The control port (tap) names: the injector sets it in NODEMESH_PROXY_CONTROL_LISTEN_ADDR. */
export const CONTROL_PORT_NAME = 'nodemesh-control';
export const DEFAULT_CONTROL_PORT = 4190;
const OWNER_LABEL_PREFIX = 'nodemesh.io/proxy-';
/** The owner kinds the injector labels, most specific workload first. */
const OWNER_KINDS = ['deployment', 'statefulset', 'daemonset', 'cronjob', 'job', 'replicationcontroller', 'replicaset'];

export interface ProxyPod {
  readonly namespace: string;
  readonly name: string;
  /** `deployment/web`, `statefulset/db`, … or `pod/<name>` when it has no owner. */
  readonly workload: string;
  readonly adminPort: number;
  /** The control port (GET /tap): the control listen address in its env, a port named nodemesh-control, else 4190. */
  readonly controlPort: number;
  /** status.podIP; '' before it has one. */
  readonly podIP: string;
  /** The identity its proxy serves under (its env, resolved from the pod); undefined when unknown. */
  readonly identity: string | undefined;
  readonly phase: string;
  /** Running, with an IP and not being deleted: its proxy can be asked. */
  readonly scrapable: boolean;
  /** Why not scrapable (`Pending: ContainerCreating`, `terminating`). */
  readonly notScrapableReason: string | undefined;
  /** The proxy container's own readiness, as the kubelet reports it. */
  readonly proxyReady: boolean;
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(obj) : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The proxy container of a pod spec (regular or native sidecar), or undefined when unmeshed. */
function proxyContainer(spec: Json): Json | undefined {
  const regular = list(spec['containers']).find((c) => c['name'] === PROXY_CONTAINER_NAME);
  if (regular !== undefined) return regular;
  return list(spec['initContainers']).find(
    (c) => c['name'] === PROXY_CONTAINER_NAME && c['restartPolicy'] === 'Always',
  );
}

/** The pod's proxy, or undefined when it has none. */
export function proxyPodOf(pod: unknown): ProxyPod | undefined {
  const metadata = obj(obj(pod)['metadata']);
  const spec = obj(obj(pod)['spec']);
  const status = obj(obj(pod)['status']);
  const container = proxyContainer(spec);
  if (container === undefined) return undefined;
  const name = str(metadata['name']) ?? '';
  const namespace = str(metadata['namespace']) ?? 'default';
  const ports = list(container['ports']);
  const port = ports.find((p) => p['name'] === ADMIN_PORT_NAME)?.['containerPort'];
  const namedControl = ports.find((p) => p['name'] === CONTROL_PORT_NAME)?.['containerPort'];
  const env = containerEnv(pod, container);
  const phase = str(status['phase']) ?? 'Unknown';
  const podIP = str(status['podIP']) ?? '';
  const deleting = metadata['deletionTimestamp'] !== undefined && metadata['deletionTimestamp'] !== null;
  const statuses = [...list(status['containerStatuses']), ...list(status['initContainerStatuses'])];
  const proxyStatus = statuses.find((s) => s['name'] === PROXY_CONTAINER_NAME);
  let notScrapableReason: string | undefined;
  if (deleting) notScrapableReason = 'terminating';
  else if (phase !== 'Running') notScrapableReason = phaseReason(phase, status, statuses);
  else if (podIP === '') notScrapableReason = 'no pod IP yet';
  return {
    namespace,
    name,
    workload: workloadOf(pod),
    adminPort: isPort(port) ? port : DEFAULT_ADMIN_PORT,
    controlPort: controlPortOf(env) ?? (isPort(namedControl) ? namedControl : DEFAULT_CONTROL_PORT),
    podIP,
    identity: proxyIdentityOf(env),
    phase,
    scrapable: notScrapableReason === undefined,
    notScrapableReason,
    proxyReady: proxyStatus?.['ready'] === true,
  };
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536;
}

function phaseReason(phase: string, status: Json, statuses: readonly Json[]): string {
  const waiting = statuses
    .map((s) => str(obj(obj(s['state'])['waiting'])['reason']))
    .find((r) => r !== undefined && r !== '');
  const reason = waiting ?? str(status['reason']);
  return reason === undefined ? phase : `${phase}: ${reason}`;
}

/** The workload of a pod, as `kind/name` (lower-case kind). */
export function workloadOf(pod: unknown): string {
  const metadata = obj(obj(pod)['metadata']);
  const labels = obj(metadata['labels']);
  for (const kind of OWNER_KINDS) {
    const name = str(labels[`${OWNER_LABEL_PREFIX}${kind}`]);
    if (name !== undefined && name !== '') return `${kind}/${name}`;
  }
  const refs = list(metadata['ownerReferences']);
  const ref = refs.find((r) => r['controller'] === true) ?? refs[0];
  const kind = str(ref?.['kind'])?.toLowerCase();
  const owner = str(ref?.['name']);
  if (kind !== undefined && owner !== undefined && owner !== '') {
    const hash = str(labels['pod-template-hash']);
    if (kind === 'replicaset' && hash !== undefined && hash !== '' && owner.endsWith(`-${hash}`)) {
      return `deployment/${owner.slice(0, -(hash.length + 1))}`;
    }
    return `${kind}/${owner}`;
  }
  return `pod/${str(metadata['name']) ?? ''}`;
}
