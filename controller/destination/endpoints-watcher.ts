// EndpointsWatcher: serves Get subscriptions from the resource caches. Subscriptions to the same
// (Service, port) share one EndpointPublisher, which computes the endpoint set once per change and
// sends every stream the same diff. Service, EndpointSlice and Pod events only enqueue Service keys;
// a worker (ReconcileQueue) refreshes the publishers of each key.
//
// Contract:
// - start() registers the handlers; call it before the source starts (to hear the first adds) or
//   after it has synced. close() unregisters them and stops the worker.
// - subscribe() sends the first answer synchronously through `send` (the publisher's current
//   state: computed from the caches when the publisher is new, else what its other streams hold,
//   with any change still queued following as a diff), then changes as they come; the returned
//   function ends the subscription. `send` must not block (it is a StreamQueue's push).
// - Keys are `<ns>/<service>`. A Pod event enqueues only the Services whose current endpoints
//   refer to that pod (by targetRef, found in the cache or not), so pod churn costs work in
//   proportion to the Services it touches, not to the namespace.

import type { Update } from '../../src/api/index.ts';
import type { CachedObject, EndpointSliceObject, ResourceSource } from '../../src/k8s/index.ts';
import type { Logger } from '../../src/log/index.ts';
import { EndpointPublisher } from './endpoint-publisher.ts';
import { SERVICE_NAME_LABEL, type TranslatorOptions } from './endpoint-translator.ts';
import { ReconcileQueue } from './reconcile-queue.ts';

export interface ServicePortTarget {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
}

export interface EndpointsWatcherDependencies {
  readonly source: ResourceSource;
  readonly log: Logger;
  readonly onReconcileError?: (err: unknown) => void;
}

export class EndpointsWatcher {
  readonly #source: ResourceSource;
  readonly #options: TranslatorOptions;
  readonly #queue: ReconcileQueue;
  /** `<ns>/<name>:<port>` → publisher. */
  readonly #publishers = new Map<string, EndpointPublisher>();
  /** `<ns>/<name>` → the publishers of that Service (one per port asked for). */
  readonly #byService = new Map<string, Set<EndpointPublisher>>();
  /** `<ns>/<pod>` → the publishers whose endpoints refer to that pod. */
  readonly #byPod = new Map<string, Set<EndpointPublisher>>();
  #unregister: (() => void)[] = [];

  constructor(deps: EndpointsWatcherDependencies, options: TranslatorOptions) {
    this.#source = deps.source;
    this.#options = options;
    this.#queue = new ReconcileQueue({
      log: deps.log,
      reconcile: (key) => this.#reconcile(key),
      onError: (_key, err) => deps.onReconcileError?.(err),
    });
  }

  start(): void {
    const services = this.#source.kind('Service');
    const slices = this.#source.kind('EndpointSlice');
    const pods = this.#source.kind('Pod');
    const onService = (svc: CachedObject): void => this.#enqueue(serviceKey(svc.metadata.namespace, svc.metadata.name));
    const onSlice = (slice: EndpointSliceObject, previous: EndpointSliceObject | undefined): void => {
      for (const s of previous === undefined ? [slice] : [slice, previous]) {
        const service = s.metadata.labels?.[SERVICE_NAME_LABEL];
        if (service !== undefined) this.#enqueue(serviceKey(s.metadata.namespace, service));
      }
    };
    const onPod = (pod: CachedObject): void => {
      for (const publisher of this.#byPod.get(podKey(pod.metadata.namespace, pod.metadata.name)) ?? []) {
        this.#queue.add(serviceKey(publisher.target.namespace, publisher.target.name));
      }
    };
    for (const event of ['add', 'update', 'delete'] as const) {
      this.#unregister.push(services.on(event, onService), slices.on(event, onSlice), pods.on(event, onPod));
    }
  }

  close(): void {
    for (const off of this.#unregister) off();
    this.#unregister = [];
    this.#queue.close();
    this.#publishers.clear();
    this.#byService.clear();
    this.#byPod.clear();
  }

  /** Resolves once every event so far has reached the subscribers. */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /** Number of open subscriptions. */
  get size(): number {
    let n = 0;
    for (const publisher of this.#publishers.values()) n += publisher.size;
    return n;
  }

  /** Number of (Service, port) targets with subscribers. */
  get targets(): number {
    return this.#publishers.size;
  }

  subscribe(target: ServicePortTarget, send: (update: Update) => void): () => void {
    const key = `${target.namespace}/${target.name}:${target.port}`;
    let publisher = this.#publishers.get(key);
    if (publisher === undefined) {
      publisher = new EndpointPublisher(this.#source, target, this.#options);
      this.#publishers.set(key, publisher);
      addTo(this.#byService, serviceKey(target.namespace, target.name), publisher);
      this.#indexPods(publisher, EMPTY);
    }
    const sink = (update: Update): void => send(update);
    publisher.add(sink);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const current = this.#publishers.get(key);
      if (current === undefined || !current.remove(sink)) return;
      this.#publishers.delete(key);
      removeFrom(this.#byService, serviceKey(target.namespace, target.name), current);
      for (const pod of current.pods) removeFrom(this.#byPod, pod, current);
    };
  }

  #enqueue(key: string): void {
    if (this.#byService.has(key)) this.#queue.add(key);
  }

  #reconcile(key: string): void {
    for (const publisher of [...(this.#byService.get(key) ?? [])]) {
      const before = publisher.pods;
      publisher.refresh();
      this.#indexPods(publisher, before);
    }
  }

  /** Moves `publisher` in the pod index from the pods it referred to to the ones it refers to now. */
  #indexPods(publisher: EndpointPublisher, before: ReadonlySet<string>): void {
    const after = publisher.pods;
    if (after === before) return;
    for (const pod of before) if (!after.has(pod)) removeFrom(this.#byPod, pod, publisher);
    for (const pod of after) if (!before.has(pod)) addTo(this.#byPod, pod, publisher);
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let set = index.get(key);
  if (set === undefined) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}
