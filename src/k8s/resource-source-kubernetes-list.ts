// How the Kubernetes resource source lists each kind, and the informer it builds around that list:
// client-node's ListWatch (what makeInformer returns) over a Watch that opens nothing once its
// informer is retired.
//
// Contract:
// - `kindLister` returns the list as the API server sent it (JSON): the typed list calls of
//   client-node turn timestamps into Date and drop fields their models lack, while its watch
//   delivers plain JSON; taking the raw body keeps list and watch objects, and the file source's,
//   in one form. It lists in pages of LIST_PAGE_SIZE (`limit`/`continue`, as client-go's reflector
//   does), so a large kind never arrives as one huge body (the pages' items are joined into one
//   list at the resourceVersion the server gives them). A `continue` that has expired (410) fails
//   the list; the informer restarts it from the first page. Every list, all its pages, has one
//   deadline (`timeoutMs`). Each page's items are pruned (`pruneForCache`, in place) as soon as the
//   page is parsed, so only one page of full objects is alive at a time: joining 10,000 full Pods
//   before pruning them cost ≈ 40 MB of peak memory (docs/performance.md).
// - `createInformer` is `makeInformer` with one difference: once `isLive()` is false, the Watch
//   opens no more requests. ListWatch re-watches after a reconnect delay without looking at
//   stop() again; this closes that gap, so a closed source sends nothing.
// - This file loads @kubernetes/client-node: only the controller imports it.

import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  ListWatch,
  Observable,
  Watch,
  type ConfigurationOptions,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { pruneForCache } from './resource-projection.ts';
import { RESOURCE_KINDS, type ResourceKind } from './resource-source.ts';

/** A list of one kind as the API server sent it. */
export type RawList = KubernetesListObject<KubernetesObject>;

/** Lists every object of `kind` across namespaces. */
export type KindLister = () => Promise<RawList>;

/** The collection path the informer watches for `kind` (every namespace). */
export function watchPathOf(kind: ResourceKind): string {
  const { group, version, plural } = RESOURCE_KINDS[kind];
  return group === '' ? `/api/${version}/${plural}` : `/apis/${group}/${version}/${plural}`;
}

/** Objects per list page (client-go's reflector pages by 500 too). */
export const LIST_PAGE_SIZE = 500;

/** The list call of `kind` through client-node's typed APIs, returning the raw JSON list. */
export function kindLister(
  kubeConfig: KubeConfig,
  kind: ResourceKind,
  timeoutMs: number,
  pageSize = LIST_PAGE_SIZE,
): KindLister {
  const call = listCall(kubeConfig, kind);
  return async () => {
    const signal = AbortSignal.timeout(timeoutMs);
    const items: KubernetesObject[] = [];
    let token: string | undefined;
    for (;;) {
      const capture = rawBodyCapture(signal);
      await call({ limit: pageSize, ...(token === undefined ? {} : { _continue: token }) }, capture.options);
      const body = capture.body();
      if (body === undefined) throw new Error(`list ${kind}: the response had no body`);
      const page = JSON.parse(body) as Partial<RawList> | null;
      if (page === null || typeof page !== 'object' || !Array.isArray(page.items)) {
        throw new Error(`list ${kind}: the response is not a list`);
      }
      for (const item of page.items) items.push(pruneForCache(kind, item));
      token = page.metadata?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue;
      if (token === undefined || token === '') {
        const metadata: Record<string, unknown> = { ...page.metadata };
        for (const paging of ['continue', '_continue', 'remainingItemCount']) delete metadata[paging];
        return { ...page, metadata, items };
      }
    }
  };
}

interface Paging {
  readonly limit: number;
  readonly _continue?: string;
}

type ListCall = (paging: Paging, options: ConfigurationOptions<ObservableMiddleware>) => Promise<unknown>;

function listCall(kubeConfig: KubeConfig, kind: ResourceKind): ListCall {
  const { group, version, plural } = RESOURCE_KINDS[kind];
  switch (kind) {
    case 'Service': {
      const core = kubeConfig.makeApiClient(CoreV1Api);
      return (paging, options) => core.listServiceForAllNamespaces(paging, options);
    }
    case 'Pod': {
      const core = kubeConfig.makeApiClient(CoreV1Api);
      return (paging, options) => core.listPodForAllNamespaces(paging, options);
    }
    case 'EndpointSlice': {
      const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
      return (paging, options) => discovery.listEndpointSliceForAllNamespaces(paging, options);
    }
    case 'ServiceProfile':
    case 'HTTPRoute':
    case 'GRPCRoute': {
      const custom = kubeConfig.makeApiClient(CustomObjectsApi);
      return (paging, options) =>
        custom.listClusterCustomObject({ group, version, plural, ...paging }, options) as Promise<unknown>;
    }
  }
}

/**
 * Per-call options that put `signal` on the request and take a successful response's body before
 * the generated client deserializes it (the client is handed `{}` instead, which costs nothing).
 * Error responses are left alone, so ApiException keeps the server's Status.
 */
function rawBodyCapture(signal: AbortSignal): {
  options: ConfigurationOptions<ObservableMiddleware>;
  body: () => string | undefined;
} {
  let captured: string | undefined;
  const take = async (context: ResponseContext): Promise<ResponseContext> => {
    if (context.httpStatusCode < 200 || context.httpStatusCode > 299) return context;
    captured = await context.body.text();
    const empty = Buffer.from('{}');
    context.body = { text: () => Promise.resolve('{}'), binary: () => Promise.resolve(empty), stream: () => null };
    return context;
  };
  const middleware: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(take(context)),
  };
  return { options: { middleware: [middleware], middlewareMergeStrategy: 'append' }, body: () => captured };
}

/**
 * A Watch that opens nothing (and answers with an aborted controller) once `isLive()` is false,
 * and aborts a watch that was still connecting when its informer was retired: ListWatch.stop()
 * cannot reach a watch whose response headers have not arrived yet.
 */
class RetirableWatch extends Watch {
  readonly #isLive: () => boolean;
  readonly #connecting = new Set<Promise<AbortController>>();

  constructor(kubeConfig: KubeConfig, isLive: () => boolean) {
    super(kubeConfig);
    this.#isLive = isLive;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (!this.#isLive()) {
      const controller = new AbortController();
      controller.abort();
      return controller;
    }
    const connecting = super.watch(path, queryParams, callback, done);
    this.#connecting.add(connecting);
    try {
      const controller = await connecting;
      if (!this.#isLive()) controller.abort();
      return controller;
    } catch (err) {
      // Watch rejects only before its request (credentials that cannot be applied, no cluster).
      // ListWatch does not catch that when it re-watches on its own: report it as a failed watch
      // instead, so the informer fires `error` and is restarted rather than rejecting unheard.
      const controller = new AbortController();
      controller.abort();
      done(err);
      return controller;
    } finally {
      this.#connecting.delete(connecting);
    }
  }

  /** Resolves once no watch is connecting any more. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#connecting]);
  }
}

export type KindInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

/** An informer and the way to wait until it has no watch request left in flight. */
export interface RetirableInformer {
  readonly informer: KindInformer;
  /** After retirement: resolves once every watch that was connecting has been aborted. */
  readonly settled: () => Promise<void>;
}

/** An informer on `path` (list + watch), not started, that goes quiet for good once `isLive()` is false. */
export function createInformer(
  kubeConfig: KubeConfig,
  path: string,
  list: KindLister,
  isLive: () => boolean,
): RetirableInformer {
  const watch = new RetirableWatch(kubeConfig, isLive);
  return { informer: new ListWatch<KubernetesObject>(path, watch, list, false), settled: () => watch.settled() };
}
