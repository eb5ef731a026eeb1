// EndpointsWatcher: serves Get subscriptions from the resource caches. Service, EndpointSlice and
// Pod events only enqueue keys; a worker (ReconcileQueue) recomputes each affected subscription's
// endpoint set from the caches and sends each stream the diff against what it was told.
//
// Contract:
// - start() registers the handlers; call it before the source starts (to hear the first adds) or
//   after it has synced. close() unregisters them and stops the worker.
// - subscribe() sends the first answer synchronously (from the caches) through `send`, then
//   changes as they come; the returned function ends the subscription. `send` must not block (it
//   is a StreamQueue's push).
// - Keys: `svc:<ns>/<name>` for Service and EndpointSlice events; `ns:<ns>` for Pod events
//   (a pod's labels and identity feed every Service of its namespace that has subscribers).

import type { Update } from '../../src/api/index.ts';
import type { EndpointSliceObject, ResourceSource } from '../../src/k8s/index.ts';
import type { Logger } from '../../src/log/index.ts';
import { EndpointDiff } from './endpoint-diff.ts';
import { SERVICE_NAME_LABEL, endpointSet, type TranslatorOptions } from './endpoint-translator.ts';
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

interface Subscription {
  readonly target: ServicePortTarget;
  readonly diff: EndpointDiff;
  readonly send: (update: Update) => void;
}

export class EndpointsWatcher {
  readonly #source: ResourceSource;
  readonly #options: TranslatorOptions;
  readonly #queue: ReconcileQueue;
  /** `<ns>/<name>` → subscriptions. */
  readonly #subscriptions = new Map<string, Set<Subscription>>();
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
    const onService = (svc: { metadata: { namespace: string; name: string } }): void =>
      this.#queue.add(`svc:${svc.metadata.namespace}/${svc.metadata.name}`);
    const onSlice = (slice: EndpointSliceObject, previous: EndpointSliceObject | undefined): void => {
      for (const s of previous === undefined ? [slice] : [slice, previous]) {
        const service = s.metadata.labels?.[SERVICE_NAME_LABEL];
        if (service !== undefined) this.#queue.add(`svc:${s.metadata.namespace}/${service}`);
      }
    };
    const onPod = (pod: { metadata: { namespace: string } }): void => this.#queue.add(`ns:${pod.metadata.namespace}`);
    for (const event of ['add', 'update', 'delete'] as const) {
      this.#unregister.push(services.on(event, onService), slices.on(event, onSlice), pods.on(event, onPod));
    }
  }

  close(): void {
    for (const off of this.#unregister) off();
    this.#unregister = [];
    this.#queue.close();
    this.#subscriptions.clear();
  }

  /** Resolves once every event so far has reached the subscribers. */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /** Number of open subscriptions. */
  get size(): number {
    let n = 0;
    for (const subs of this.#subscriptions.values()) n += subs.size;
    return n;
  }

  subscribe(target: ServicePortTarget, send: (update: Update) => void): () => void {
    const key = `${target.namespace}/${target.name}`;
    const sub: Subscription = { target, diff: new EndpointDiff(), send };
    let subs = this.#subscriptions.get(key);
    if (subs === undefined) this.#subscriptions.set(key, (subs = new Set()));
    subs.add(sub);
    this.#update(sub);
    return () => {
      const current = this.#subscriptions.get(key);
      current?.delete(sub);
      if (current?.size === 0) this.#subscriptions.delete(key);
    };
  }

  #reconcile(key: string): void {
    if (key.startsWith('svc:')) {
      for (const sub of this.#subscriptions.get(key.slice(4)) ?? []) this.#update(sub);
      return;
    }
    const namespace = key.slice(3);
    for (const subs of this.#subscriptions.values()) {
      for (const sub of subs) if (sub.target.namespace === namespace) this.#update(sub);
    }
  }

  #update(sub: Subscription): void {
    for (const update of sub.diff.next(endpointSet(this.#source, sub.target, this.#options))) sub.send(update);
  }
}
