// Which meshed pod a verb about one proxy (`nodemesh tap --kubernetes NAME`) means: NAME is a pod
// (`web-7d4b9c-x2x9k`, `pod/web-7d4b9c-x2x9k`) or a workload (`deployment/web`, or just `web`),
// which stands for its first running meshed pod by name, as `kubectl port-forward deployment/web`
// picks one.
//
// Contract: `pickProxyPod` resolves to a running meshed pod or throws ProxySourceError with a
// message for people (what was not found, the meshed workloads that were, why a pod is not
// usable); listing pods may throw KubeAccessError (unreachable API server, RBAC `list pods`).

import { ProxySourceError } from '../stat/proxy-target.ts';
import type { KubeApi } from './kube-api.ts';
import { proxyPodOf, type ProxyPod } from './proxy-pods.ts';
import { listPodObjects } from './proxy-source-kubernetes.ts';

/** kubectl's short names for the workload kinds. */
const KIND_ALIASES: Readonly<Record<string, string>> = {
  deploy: 'deployment',
  deployments: 'deployment',
  sts: 'statefulset',
  statefulsets: 'statefulset',
  ds: 'daemonset',
  daemonsets: 'daemonset',
  rs: 'replicaset',
  replicasets: 'replicaset',
  jobs: 'job',
  cj: 'cronjob',
  cronjobs: 'cronjob',
  po: 'pod',
  pods: 'pod',
};

export interface PickedPod {
  readonly pod: ProxyPod;
  /** The workload NAME named when it was not a pod (`deployment/web`), and how many of its pods run. */
  readonly workload: { readonly name: string; readonly running: number } | undefined;
}

function podName(pod: unknown): string | undefined {
  const name = (pod as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string' ? name : undefined;
}

export async function pickProxyPod(
  api: KubeApi,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<PickedPod> {
  const slash = name.indexOf('/');
  const rawKind = slash < 0 ? undefined : name.slice(0, slash).toLowerCase();
  const kind = rawKind === undefined ? undefined : (KIND_ALIASES[rawKind] ?? rawKind);
  const bare = slash < 0 ? name : name.slice(slash + 1);
  if (bare === '' || bare.includes('/')) {
    throw new ProxySourceError(
      `${JSON.stringify(name)} is not a pod or workload name; allowed: POD, pod/POD, KIND/NAME (deployment/web) or NAME`,
    );
  }
  const pods = await listPodObjects(api, namespace, signal);
  const where = `namespace ${namespace}`;

  if (kind === undefined || kind === 'pod') {
    const pod = pods.find((p) => podName(p) === bare);
    if (pod !== undefined) return { pod: usable(pod, namespace), workload: undefined };
    if (kind === 'pod') throw new ProxySourceError(`no pod named ${bare} in ${where}`);
  }

  const meshed = pods.flatMap((p) => {
    const proxy = proxyPodOf(p);
    return proxy === undefined || proxy.phase === 'Succeeded' || proxy.phase === 'Failed' ? [] : [proxy];
  });
  const matches = meshed.filter((p) =>
    kind === undefined ? p.workload.slice(p.workload.indexOf('/') + 1) === bare : p.workload === `${kind}/${bare}`,
  );
  if (matches.length === 0) {
    const known = [...new Set(meshed.map((p) => p.workload))].sort();
    throw new ProxySourceError(
      `no ${kind === undefined ? 'pod or workload' : kind} named ${bare} with a nodemesh proxy in ${where}; ` +
        (known.length === 0 ? 'it has no meshed pods' : `meshed workloads: ${known.join(', ')}`),
    );
  }
  const workloads = [...new Set(matches.map((p) => p.workload))].sort();
  if (workloads.length > 1) {
    throw new ProxySourceError(`${bare} names more than one workload in ${where}: ${workloads.join(', ')}; give one`);
  }
  const workload = workloads[0] ?? bare;
  const running = matches.filter((p) => p.scrapable).sort((a, b) => a.name.localeCompare(b.name));
  const first = running[0];
  if (first === undefined) {
    const why = matches.map((p) => `${p.name}: ${p.notScrapableReason ?? p.phase}`).join('; ');
    throw new ProxySourceError(`${workload} in ${where} has no running pod (${why})`);
  }
  return { pod: first, workload: { name: workload, running: running.length } };
}

/** The pod's proxy, or why it cannot be used. */
function usable(pod: unknown, namespace: string): ProxyPod {
  const name = podName(pod) ?? '';
  const proxy = proxyPodOf(pod);
  if (proxy === undefined) {
    throw new ProxySourceError(
      `pod ${namespace}/${name} has no nodemesh-proxy container: it is not meshed (see nodemesh inject)`,
    );
  }
  if (!proxy.scrapable) {
    throw new ProxySourceError(`pod ${namespace}/${name} is not running (${proxy.notScrapableReason ?? proxy.phase})`);
  }
  return proxy;
}
