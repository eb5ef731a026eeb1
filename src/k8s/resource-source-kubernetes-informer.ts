// KindWatcher: keeps one kind's ResourceStore filled from a client-node informer, and keeps that
// informer alive: client-node 2.0.1 re-watches by itself only after a clean close or a 410; any
// other failure (a 5xx, a 403, a dropped connection, a failed list) fires `error` and the informer
// STOPS. Here it is restarted after a backoff, and an informer that has heard nothing (no event,
// no connect) for `stallTimeoutMs` is replaced by a fresh one, which relists.
//
// Contract:
// - start() once, close() once; close() is final: a `stopping` guard (the generation check below)
//   keeps the AbortError that stop() fires from restarting anything, and no request starts
//   after close() resolves.
// - Every informer has a generation; events, errors and list results of a retired generation are
//   ignored, so a replaced informer can never write into the store.
// - A successful list replaces the store's contents (adds, updates, deletes: this is how a relist
//   after 410 deletes what vanished) and marks the kind synced; watch events apply one by one.
//   Objects already cached at the same resourceVersion fire nothing, so the informer replaying
//   its own list into the store is silent.
// - Objects are normalised once, in place, before anyone sees them: apiVersion and kind filled
//   in (list items lack them), pruned to what the cache keeps (resource-projection.ts: no
//   managedFields; Pods only their metadata and a few spec and status fields), then deep-frozen.

import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log/index.ts';
import { Backoff, type BackoffOptions, type Clock, type TimerHandle } from '../time/index.ts';
import { httpStatusOf, kubernetesApiError, type KubernetesApiError } from './errors.ts';
import { freezeObject, type ResourceStore } from './resource-cache.ts';
import { pruneForCache } from './resource-projection.ts';
import type { KindInformer, KindLister, RawList, RetirableInformer } from './resource-source-kubernetes-list.ts';
import { RESOURCE_KINDS, type CachedObject, type ResourceKind } from './resource-source.ts';

/** Why an informer was restarted. */
export type RestartReason = 'error' | 'stalled';

export interface KindWatcherDependencies {
  readonly kind: ResourceKind;
  readonly store: ResourceStore<CachedObject>;
  /** The list call (raw JSON). */
  readonly list: KindLister;
  /** Builds an informer (not started) over `list` that goes quiet once `isLive()` is false. */
  readonly newInformer: (list: KindLister, isLive: () => boolean) => RetirableInformer;
  readonly clock: Clock;
  readonly log: Logger;
  /** Told about each restart (metrics). */
  readonly onRestart?: (kind: ResourceKind, reason: RestartReason) => void;
}

export interface KindWatcherOptions {
  readonly restartBackoff: BackoffOptions;
  readonly stallTimeoutMs: number;
  readonly healthCheckIntervalMs: number;
  /** How long close() waits for watches still connecting to be aborted (default 2 s). */
  readonly closeWaitMs?: number;
}

export class KindWatcher {
  readonly #deps: KindWatcherDependencies;
  readonly #options: KindWatcherOptions;
  readonly #backoff: Backoff;
  readonly #synced = Promise.withResolvers<void>();
  #generation = 0;
  #informer: RetirableInformer | undefined;
  #closed = false;
  #restartTimer: TimerHandle | undefined;
  #healthTimer: TimerHandle | undefined;
  #lastActivity = 0;
  #lastError: KubernetesApiError | undefined;
  #restarts = 0;

  constructor(deps: KindWatcherDependencies, options: KindWatcherOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#backoff = new Backoff(options.restartBackoff);
  }

  /** Resolves once the first list is in the store (never rejects). */
  get whenSynced(): Promise<void> {
    return this.#synced.promise;
  }

  /** The last list or watch failure since the last successful list, if any. */
  get lastError(): KubernetesApiError | undefined {
    return this.#lastError;
  }

  /** How many times the informer was restarted or replaced. */
  get restarts(): number {
    return this.#restarts;
  }

  start(): void {
    if (this.#closed || this.#informer !== undefined) return;
    this.#touch();
    this.#spawn();
    this.#armHealthCheck();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation += 1;
    this.#restartTimer?.cancel();
    this.#restartTimer = undefined;
    this.#healthTimer?.cancel();
    const retired = this.#informer;
    this.#informer = undefined;
    if (retired === undefined) return;
    // stop() fires `error` with an AbortError; the generation check above ignores it.
    await retired.informer.stop();
    // A watch still waiting for its response headers is aborted as soon as they come.
    const waited = Promise.withResolvers<void>();
    const timer = this.#deps.clock.setTimer(waited.resolve, this.#options.closeWaitMs ?? 2000);
    await Promise.race([retired.settled(), waited.promise]);
    timer.cancel();
  }

  /** Builds and starts a new informer generation; the previous one (if any) is retired by the caller. */
  #spawn(): void {
    const generation = ++this.#generation;
    const live = () => !this.#closed && this.#generation === generation;
    const list: KindLister = async () => {
      if (!live()) throw new Error(`list ${this.#deps.kind}: informer retired`);
      const result = await this.#deps.list();
      // A list that finished after close() (or after this informer was replaced) must not reach
      // the store, nor let the informer go on to watch: throwing ends this informer quietly.
      if (!live()) throw new Error(`list ${this.#deps.kind}: informer retired`);
      this.#onList(result);
      return result;
    };
    const retirable = this.#deps.newInformer(list, live);
    const { informer } = retirable;
    const apply = (object: KubernetesObject) => {
      if (live()) this.#onObject(object);
    };
    informer.on('add', apply);
    informer.on('update', apply);
    informer.on('delete', (object: KubernetesObject) => {
      if (live()) this.#onDelete(object);
    });
    informer.on('connect', () => {
      if (live()) this.#touch();
    });
    informer.on('error', (err: unknown) => this.#onError(generation, err));
    this.#informer = retirable;
    this.#run(informer, generation);
  }

  #run(informer: KindInformer, generation: number): void {
    informer.start().catch((err: unknown) => this.#onError(generation, err));
  }

  #onError(generation: number, err: unknown): void {
    // The stopping guard: errors of a closed source or a retired informer (stop()'s AbortError
    // among them) restart nothing. One restart is pending at a time.
    if (this.#closed || generation !== this.#generation || this.#restartTimer !== undefined) return;
    const { kind } = this.#deps;
    const error = kubernetesApiError(`list/watch ${kind}`, err);
    this.#lastError = error;
    const delay = this.#backoff.next();
    this.#restarts += 1;
    this.#deps.onRestart?.(kind, 'error');
    this.#deps.log.warn(
      { err: error, kind, retryInMs: Math.round(delay), hint: hintFor(kind, err) },
      'resource informer stopped; restarting it after a backoff',
    );
    this.#restartTimer = this.#deps.clock.setTimer(() => {
      this.#restartTimer = undefined;
      const current = this.#informer;
      if (this.#closed || generation !== this.#generation || current === undefined) return;
      this.#touch();
      // start() after an error resumes the watch from the last resourceVersion (no relist).
      this.#run(current.informer, generation);
    }, delay);
  }

  #armHealthCheck(): void {
    if (this.#closed) return;
    this.#healthTimer = this.#deps.clock.setTimer(() => {
      this.#checkHealth();
      this.#armHealthCheck();
    }, this.#options.healthCheckIntervalMs);
  }

  /** Replaces an informer that has heard nothing for stallTimeoutMs (a silent stall). */
  #checkHealth(): void {
    if (this.#closed || this.#restartTimer !== undefined) return;
    const idleMs = this.#deps.clock.now() - this.#lastActivity;
    if (idleMs < this.#options.stallTimeoutMs) return;
    const { kind } = this.#deps;
    this.#restarts += 1;
    this.#deps.onRestart?.(kind, 'stalled');
    this.#deps.log.warn({ kind, idleMs }, 'resource informer heard nothing for too long; replacing it (relist)');
    const stalled = this.#informer;
    this.#touch();
    this.#spawn();
    void stalled?.informer.stop();
  }

  #touch(): void {
    this.#lastActivity = this.#deps.clock.now();
  }

  #onList(list: RawList): void {
    const objects: CachedObject[] = [];
    for (const item of list.items) {
      const object = this.#normalize(item);
      if (object !== undefined) objects.push(object);
    }
    const changed = this.#deps.store.replaceAll(objects);
    this.#backoff.reset();
    this.#lastError = undefined;
    this.#touch();
    const { kind } = this.#deps;
    if (!this.#deps.store.synced) {
      this.#deps.store.markSynced();
      this.#synced.resolve();
      this.#deps.log.info({ kind, objects: objects.length }, 'resource cache synced');
    } else {
      this.#deps.log.debug({ kind, objects: objects.length, changed }, 'resource relisted');
    }
  }

  #onObject(item: KubernetesObject): void {
    this.#touch();
    this.#backoff.reset();
    const object = this.#normalize(item);
    if (object !== undefined) this.#deps.store.apply(object);
  }

  #onDelete(item: KubernetesObject): void {
    this.#touch();
    this.#backoff.reset();
    const object = this.#normalize(item);
    if (object !== undefined) this.#deps.store.delete(object);
  }

  /** Fills in apiVersion and kind, prunes and freezes, in place; undefined when unnamed. */
  #normalize(item: KubernetesObject): CachedObject | undefined {
    const metadata = item.metadata as { name?: unknown; namespace?: unknown; managedFields?: unknown } | undefined;
    if (typeof metadata?.name !== 'string' || typeof metadata.namespace !== 'string') {
      this.#deps.log.debug({ kind: this.#deps.kind }, 'an object without a name or namespace was ignored');
      return undefined;
    }
    if (!Object.isFrozen(item)) {
      const info = RESOURCE_KINDS[this.#deps.kind];
      item.apiVersion ??= info.apiVersion;
      item.kind ??= info.kind;
      freezeObject(pruneForCache(this.#deps.kind, item));
    }
    return item as unknown as CachedObject;
  }
}

/** What a person should check for a failure, when the status says something specific. */
function hintFor(kind: ResourceKind, err: unknown): string | undefined {
  const { group, plural } = RESOURCE_KINDS[kind];
  const resource = group === '' ? plural : `${plural}.${group}`;
  const status = httpStatusOf(err);
  if (status === 404) return `the API server does not serve ${resource}: is its CRD installed?`;
  if (status === 401) return "the controller's credentials were refused: check its service-account token";
  if (status === 403) return `grant the controller list and watch on ${resource}`;
  return undefined;
}
