// KubernetesResourceSource: the ResourceSource of the destination controller in a cluster. One
// client-node informer (list + watch, every namespace) per kind, each kept alive by a KindWatcher:
// restarted with backoff after any error, replaced after a silent stall, quiet for good after
// close().
//
// Contract:
// - start() starts every informer and resolves once every kind has listed; after
//   `syncTimeoutMs` it rejects with ResourceSyncError naming the kinds still missing and their last
//   error (the informers keep retrying; close() the source to stop them). Calling it again returns
//   the same promise.
// - Kinds left out of `kinds` are not watched: their caches stay empty and count as synced (for
//   clusters without the Gateway API CRDs, say).
// - close() is final and idempotent; no request starts after it resolves.
// - With a `registry`, it exports resource_source_synced, resource_source_objects and
//   resource_source_restarts_total, each by kind.
// - This file loads @kubernetes/client-node: the controller imports it, never the sidecar. Others
//   reach it through `createKubernetesResourceSource` in index.ts, which loads it lazily.

import type { KubeConfig } from '@kubernetes/client-node';
import { Counter, Gauge, type Registry } from '../metrics/index.ts';
import type { Logger } from '../log/index.ts';
import { systemClock, type BackoffOptions, type Clock } from '../time/index.ts';
import { ResourceStore } from './resource-cache.ts';
import { ResourceSyncError } from './resource-errors.ts';
import { KindWatcher, type RestartReason } from './resource-source-kubernetes-informer.ts';
import { LIST_PAGE_SIZE, createInformer, kindLister, watchPathOf } from './resource-source-kubernetes-list.ts';
import {
  RESOURCE_KIND_NAMES,
  type CachedObject,
  type ObjectOf,
  type ResourceCache,
  type ResourceKind,
  type ResourceSource,
} from './resource-source.ts';

export interface KubernetesResourceSourceDependencies {
  readonly kubeConfig: KubeConfig;
  readonly log: Logger;
  /** Timers for restarts, health checks and the sync deadline (default: the system clock). */
  readonly clock?: Clock;
  /** Where to register the source's metrics (none without it). */
  readonly registry?: Registry;
}

export interface KubernetesResourceSourceOptions {
  /** The kinds to watch (default: all of them). */
  readonly kinds?: readonly ResourceKind[];
  /** The wait before restarting a failed informer (default 500 ms doubling to 30 s, with jitter). */
  readonly restartBackoff?: BackoffOptions;
  /** An informer that heard no event and no (re)connect for this long is replaced (default 5 min). */
  readonly stallTimeoutMs?: number;
  /** How often informers are checked for stalls (default 30 s). */
  readonly healthCheckIntervalMs?: number;
  /** The deadline of one list call, all its pages (default 60 s). */
  readonly listTimeoutMs?: number;
  /** Objects per list page (default LIST_PAGE_SIZE, 500). */
  readonly listPageSize?: number;
  /** How long start() waits for every kind's first list (default 2 min). */
  readonly syncTimeoutMs?: number;
}

export const DEFAULT_RESTART_BACKOFF: BackoffOptions = Object.freeze({ minMs: 500, maxMs: 30_000 });
export const DEFAULT_STALL_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_HEALTH_CHECK_INTERVAL_MS = 30_000;
export const DEFAULT_LIST_TIMEOUT_MS = 60_000;
export const DEFAULT_SYNC_TIMEOUT_MS = 120_000;

export class KubernetesResourceSource implements ResourceSource {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #syncTimeoutMs: number;
  readonly #stores: Record<ResourceKind, ResourceStore<CachedObject>>;
  readonly #watchers = new Map<ResourceKind, KindWatcher>();
  readonly #closedSignal = Promise.withResolvers<'closed'>();
  #started: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(deps: KubernetesResourceSourceDependencies, options: KubernetesResourceSourceOptions = {}) {
    this.#log = deps.log;
    this.#clock = deps.clock ?? systemClock;
    this.#syncTimeoutMs = positive(options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS, 'syncTimeoutMs');
    const listTimeoutMs = positive(options.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS, 'listTimeoutMs');
    const listPageSize = positive(options.listPageSize ?? LIST_PAGE_SIZE, 'listPageSize');
    const watcherOptions = {
      restartBackoff: options.restartBackoff ?? DEFAULT_RESTART_BACKOFF,
      stallTimeoutMs: positive(options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, 'stallTimeoutMs'),
      healthCheckIntervalMs: positive(
        options.healthCheckIntervalMs ?? DEFAULT_HEALTH_CHECK_INTERVAL_MS,
        'healthCheckIntervalMs',
      ),
    };
    const watched = new Set(options.kinds ?? RESOURCE_KIND_NAMES);
    const stores = {} as Record<ResourceKind, ResourceStore<CachedObject>>;
    for (const kind of RESOURCE_KIND_NAMES) {
      stores[kind] = new ResourceStore({
        onHandlerError: (err, event, object) =>
          this.#log.error(
            { err, kind, event, namespace: object.metadata.namespace, name: object.metadata.name },
            'a resource handler threw',
          ),
      });
    }
    this.#stores = stores;
    const metrics = deps.registry === undefined ? undefined : sourceMetrics(deps.registry, this.#stores, watched);
    const { kubeConfig } = deps;
    for (const kind of RESOURCE_KIND_NAMES) {
      if (!watched.has(kind)) {
        stores[kind].markSynced();
        continue;
      }
      const path = watchPathOf(kind);
      const watcher = new KindWatcher(
        {
          kind,
          store: stores[kind],
          list: kindLister(kubeConfig, kind, listTimeoutMs, listPageSize),
          newInformer: (list, isLive) => createInformer(kubeConfig, path, list, isLive),
          clock: this.#clock,
          log: this.#log,
          ...(metrics === undefined ? {} : { onRestart: metrics.restarted }),
        },
        watcherOptions,
      );
      this.#watchers.set(kind, watcher);
    }
  }

  get synced(): boolean {
    return RESOURCE_KIND_NAMES.every((kind) => this.#stores[kind].synced);
  }

  kind<K extends ResourceKind>(kind: K): ResourceCache<ObjectOf<K>> {
    return this.#stores[kind] as unknown as ResourceCache<ObjectOf<K>>;
  }

  /** How many times each watched kind's informer was restarted or replaced (for tests and status). */
  restarts(): Readonly<Partial<Record<ResourceKind, number>>> {
    return Object.fromEntries([...this.#watchers].map(([kind, w]) => [kind, w.restarts]));
  }

  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #start(): Promise<void> {
    if (this.#closing !== undefined) throw new ResourceSyncError([], 'the resource source was closed before start()');
    const kinds = [...this.#watchers.keys()];
    this.#log.info({ kinds, unwatched: RESOURCE_KIND_NAMES.filter((k) => !kinds.includes(k)) }, 'starting informers');
    for (const watcher of this.#watchers.values()) watcher.start();
    const deadline = Promise.withResolvers<'timeout'>();
    const timer = this.#clock.setTimer(() => deadline.resolve('timeout'), this.#syncTimeoutMs);
    const synced = Promise.all([...this.#watchers.values()].map((w) => w.whenSynced)).then(() => 'synced' as const);
    let outcome: 'synced' | 'timeout' | 'closed';
    try {
      outcome = await Promise.race([synced, deadline.promise, this.#closedSignal.promise]);
    } finally {
      timer.cancel();
    }
    if (outcome === 'synced') return;
    const missing = [...this.#watchers.keys()].filter((kind) => !this.#stores[kind].synced);
    if (outcome === 'closed') {
      throw new ResourceSyncError(missing, `the resource source was closed before ${missing.join(', ')} synced`);
    }
    const details = missing.map((kind) => {
      const last = this.#watchers.get(kind)?.lastError;
      return last === undefined ? kind : `${kind} (${last.message})`;
    });
    throw new ResourceSyncError(
      missing,
      `resource caches not synced after ${this.#syncTimeoutMs} ms: ${details.join('; ')}`,
      { cause: this.#watchers.get(missing[0] ?? 'Service')?.lastError },
    );
  }

  async #close(): Promise<void> {
    this.#closedSignal.resolve('closed');
    await Promise.all([...this.#watchers.values()].map((w) => w.close()));
    this.#log.info('informers stopped');
  }
}

interface SourceMetrics {
  readonly restarted: (kind: ResourceKind, reason: RestartReason) => void;
}

function sourceMetrics(
  registry: Registry,
  stores: Readonly<Record<ResourceKind, ResourceStore<CachedObject>>>,
  watched: ReadonlySet<ResourceKind>,
): SourceMetrics {
  const kinds = RESOURCE_KIND_NAMES.filter((kind) => watched.has(kind));
  new Gauge({
    name: 'resource_source_synced',
    help: 'Whether the cache of a kind has finished its first list (1) or not (0).',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const kind of kinds) this.set({ kind }, stores[kind].synced ? 1 : 0);
    },
  });
  new Gauge({
    name: 'resource_source_objects',
    help: 'Objects in the cache of a kind.',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const kind of kinds) this.set({ kind }, stores[kind].size);
    },
  });
  const restarts = new Counter({
    name: 'resource_source_restarts_total',
    help: 'Informer restarts by kind and reason: error (restarted after a backoff) or stalled (replaced, relisted).',
    labelNames: ['kind', 'reason'],
    registers: [registry],
  });
  return { restarted: (kind, reason) => restarts.inc({ kind, reason }) };
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`KubernetesResourceSource: ${name} must be > 0, got ${value}`);
  }
  return value;
}
