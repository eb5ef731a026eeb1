// Which of some kinds the API server serves, asked once through discovery: for each group version
// among them, `GET /apis/{group}/{version}` (an APIResourceList), as kubectl does. A kind whose
// CRD is not installed is absent from its group's list, or the whole group answers 404.
//
// Contract:
// - Resolves with the kinds served, in the order given. Core kinds (group '') are always served.
// - 404 means the group version is absent: none of its kinds is served.
// - Any other failure (network, 5xx, 403) is retried `attempts` times with a doubling wait; then
//   it rejects with ResourceSyncError naming the kinds it could not settle, the last error as cause.
// - Asks once: a CRD installed later is seen on the next start.
// - This file loads @kubernetes/client-node: only controllers in a cluster import it.

import {
  ApiException,
  CustomObjectsApi,
  Observable,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  type V1APIResourceList,
} from '@kubernetes/client-node';
import { ResourceSyncError } from './resource-errors.ts';
import { RESOURCE_KINDS, type ResourceKind } from './resource-source.ts';

export interface DiscoveryOptions {
  /** Tries per group version before giving up (default 5). */
  readonly attempts?: number;
  /** The wait after the first failure, doubled after each (default 500 ms). */
  readonly retryDelayMs?: number;
  /** The deadline of one request (default 10 s). */
  readonly requestTimeoutMs?: number;
}

/** The kinds among `kinds` that the API server of `kubeConfig` serves. */
export async function discoverServedKinds(
  kubeConfig: KubeConfig,
  kinds: readonly ResourceKind[],
  options: DiscoveryOptions = {},
): Promise<ResourceKind[]> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const groups = new Map<string, ResourceKind[]>();
  for (const kind of kinds) {
    const { group, version } = RESOURCE_KINDS[kind];
    if (group === '') continue;
    const key = `${group}/${version}`;
    groups.set(key, [...(groups.get(key) ?? []), kind]);
  }
  const served = new Set<ResourceKind>(kinds.filter((kind) => RESOURCE_KINDS[kind].group === ''));
  for (const [groupVersion, members] of groups) {
    const { group, version } = RESOURCE_KINDS[members[0] as ResourceKind];
    const list = await withRetries(
      () => api.getAPIResources({ group, version }, deadline(options.requestTimeoutMs ?? 10_000)),
      members,
      groupVersion,
      options,
    );
    for (const kind of servedIn(list, members)) served.add(kind);
  }
  return kinds.filter((kind) => served.has(kind));
}

/** The kinds among `kinds` that an APIResourceList (undefined: the group is absent) lists. */
export function servedIn(list: V1APIResourceList | undefined, kinds: readonly ResourceKind[]): ResourceKind[] {
  const plurals = new Set((list?.resources ?? []).map((r) => r.name));
  return kinds.filter((kind) => plurals.has(RESOURCE_KINDS[kind].plural));
}

/** Per-call options that abort the request after `timeoutMs`. */
function deadline(timeoutMs: number): ConfigurationOptions<ObservableMiddleware> {
  const signal = AbortSignal.timeout(timeoutMs);
  const middleware: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

async function withRetries(
  call: () => Promise<V1APIResourceList>,
  kinds: readonly ResourceKind[],
  groupVersion: string,
  options: DiscoveryOptions,
): Promise<V1APIResourceList | undefined> {
  const attempts = Math.max(1, options.attempts ?? 5);
  let delayMs = options.retryDelayMs ?? 500;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      last = err;
    }
    if (attempt < attempts) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs *= 2;
    }
  }
  const reason =
    last instanceof ApiException ? `HTTP ${last.code}` : last instanceof Error ? last.message : String(last);
  throw new ResourceSyncError(
    kinds,
    `cannot tell whether the API server serves ${kinds.join(', ')}: discovery of ${groupVersion} failed ${attempts} times (${reason})`,
    { cause: last },
  );
}
