// A cluster as a ProxySource (ADR 0013 "The CLI against Kubernetes"): the pods with a
// `nodemesh-proxy` container in one namespace or all of them, each proxy's admin endpoints read
// through the API server's pod proxy subresource
// (`GET /api/v1/namespaces/NS/pods/NAME:4191/proxy/metrics`). The CLI needs only `list pods` and
// `get pods/proxy`: no port-forward, no Prometheus.
//
// Contract: `list` pages through the pods (bounded) and throws KubeAccessError when the API server
// is unreachable or refuses (naming the RBAC rule); pods that are not Running (or are terminating)
// are returned as skipped with the reason; finished ones (Succeeded, Failed) are left out. A target's `get` rejects when the API server refuses
// `get pods/proxy` or cannot reach the pod; the proxy's own HTTP statuses resolve.

import type { AdminResponse } from '../stat/mesh-state.ts';
import type { ProxyList, ProxySource, ProxyTarget, SkippedProxy } from '../stat/proxy-target.ts';
import type { KubeApi } from './kube-api.ts';
import { refusal, statusMessageOf, unreachable } from './kube-errors.ts';
import { PROXY_CONTAINER_NAME, proxyPodOf, type ProxyPod } from './proxy-pods.ts';

const LIST_TIMEOUT_MS = 10_000;
const PAGE_SIZE = 500;
/** Pages of pods read at most (100 000 pods). */
const MAX_PAGES = 200;

export interface KubernetesProxySourceDependencies {
  readonly api: KubeApi;
}

export interface KubernetesProxySourceOptions {
  /** One namespace, or undefined for every namespace. */
  readonly namespace: string | undefined;
}

export class KubernetesProxySource implements ProxySource {
  readonly kind = 'kubernetes';
  readonly where: string;
  readonly #api: KubeApi;
  readonly #namespace: string | undefined;

  constructor(deps: KubernetesProxySourceDependencies, options: KubernetesProxySourceOptions) {
    this.#api = deps.api;
    this.#namespace = options.namespace;
    const scope = options.namespace === undefined ? 'all namespaces' : `namespace ${options.namespace}`;
    this.where = `${scope} of context ${deps.api.context}`;
  }

  /** The API server connection, for checks that read more than pods. */
  get api(): KubeApi {
    return this.#api;
  }

  async list(signal: AbortSignal): Promise<ProxyList> {
    const pods = await this.#listPods(signal);
    const targets: ProxyTarget[] = [];
    const skipped: SkippedProxy[] = [];
    for (const pod of pods) {
      const proxy = proxyPodOf(pod);
      // Finished pods (a Job's) have nothing to scrape or check.
      if (proxy === undefined || proxy.phase === 'Succeeded' || proxy.phase === 'Failed') continue;
      if (proxy.scrapable) targets.push(podTarget(this.#api, proxy));
      else {
        skipped.push({
          name: proxy.name,
          namespace: proxy.namespace,
          workload: proxy.workload,
          reason: proxy.notScrapableReason ?? proxy.phase,
        });
      }
    }
    const byName = (a: { namespace: string | undefined; name: string }, b: typeof a): number =>
      (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name);
    return { targets: targets.sort(byName), skipped: skipped.sort(byName) };
  }

  #listPods(signal: AbortSignal): Promise<unknown[]> {
    return listPodObjects(this.#api, this.#namespace, signal);
  }
}

/**
 * Every pod of `namespace` (undefined: of every namespace), paged (bounded); throws
 * KubeAccessError when the API server is unreachable or refuses, naming the RBAC rule.
 */
export async function listPodObjects(
  api: KubeApi,
  namespace: string | undefined,
  signal: AbortSignal,
): Promise<unknown[]> {
  const ns = namespace;
  const base = ns === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`;
  const what = ns === undefined ? 'list pods in all namespaces' : `list pods in namespace ${ns}`;
  const rbac = ns === undefined ? '`list pods` (cluster-wide)' : `\`list pods\` in namespace ${ns}`;
  const items: unknown[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (token !== undefined) query.set('continue', token);
    let res;
    try {
      res = await api.get(`${base}?${query.toString()}`, LIST_TIMEOUT_MS, signal);
    } catch (err) {
      throw unreachable(api, what, err);
    }
    if (res.status !== 200) throw refusal(api, what, rbac, res.status, res.body);
    const parsed = JSON.parse(res.body) as { items?: unknown; metadata?: { continue?: unknown } };
    if (Array.isArray(parsed.items)) items.push(...(parsed.items as unknown[]));
    const next = parsed.metadata?.continue;
    if (typeof next !== 'string' || next === '') return items;
    token = next;
  }
  return items;
}

/** A meshed pod's proxy, read through the API server's pod proxy subresource. */
export function podTarget(api: KubeApi, pod: ProxyPod): ProxyTarget {
  const ns = encodeURIComponent(pod.namespace);
  const base = `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(pod.name)}:${pod.adminPort}/proxy`;
  return {
    name: pod.name,
    workload: pod.workload,
    namespace: pod.namespace,
    address: `pod ${pod.namespace}/${pod.name}:${pod.adminPort}`,
    log: `kubectl -n ${pod.namespace} logs ${pod.name} -c ${PROXY_CONTAINER_NAME}`,
    host: pod.podIP === '' ? undefined : pod.podIP,
    identity: pod.identity,
    async get(path: string, timeoutMs: number, signal: AbortSignal): Promise<AdminResponse> {
      const what = `get pods/proxy ${pod.namespace}/${pod.name}`;
      let res;
      try {
        res = await api.get(`${base}${path}`, timeoutMs, signal);
      } catch (err) {
        throw unreachable(api, what, err);
      }
      const said = statusMessageOf(res.body);
      if (said === undefined) return res;
      // A Status body is the API server's own answer, not the proxy's.
      if (res.status === 401 || res.status === 403) {
        throw refusal(api, what, `\`get pods/proxy\` in namespace ${pod.namespace}`, res.status, res.body);
      }
      if (res.status >= 500 || res.status === 404) {
        throw new Error(`the API server could not reach the proxy (${res.status}: ${said})`);
      }
      return res;
    },
  };
}
