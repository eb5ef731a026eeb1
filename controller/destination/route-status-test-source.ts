// Test helper (never used by product code): an in-memory ResourceSource whose caches tests change
// by hand (each change bumps one resourceVersion counter and runs the handlers, as informers do),
// and a RouteStatusWriter on it with the API server's optimistic concurrency and planned failures.

import {
  KubernetesApiError,
  type CachedObject,
  type ObjectOf,
  type ResourceCache,
  type ResourceEventType,
  type ResourceHandler,
  type ResourceKind,
  type ResourceSource,
} from '../../src/k8s/index.ts';
import type { RouteStatus } from './route-status-compute.ts';
import type { RouteResourceKind } from './route-status-refs.ts';
import type { RouteStatusWriter } from './route-status.ts';

class MemoryCache<T extends CachedObject> implements ResourceCache<T> {
  readonly #objects = new Map<string, T>();
  readonly #handlers: Record<ResourceEventType, Set<ResourceHandler<T>>> = {
    add: new Set(),
    update: new Set(),
    delete: new Set(),
  };
  synced = true;

  get(namespace: string, name: string): T | undefined {
    return this.#objects.get(`${namespace}/${name}`);
  }

  list(namespace?: string): readonly T[] {
    return [...this.#objects.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }

  on(event: ResourceEventType, handler: ResourceHandler<T>): () => void {
    this.#handlers[event].add(handler);
    return () => this.#handlers[event].delete(handler);
  }

  put(object: T): void {
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const previous = this.#objects.get(key);
    this.#objects.set(key, object);
    for (const handler of this.#handlers[previous === undefined ? 'add' : 'update']) handler(object, previous);
  }

  remove(namespace: string, name: string): void {
    const previous = this.#objects.get(`${namespace}/${name}`);
    if (previous === undefined) return;
    this.#objects.delete(`${namespace}/${name}`);
    for (const handler of this.#handlers.delete) handler(previous, undefined);
  }
}

export class MemorySource implements ResourceSource {
  readonly #caches = new Map<ResourceKind, MemoryCache<CachedObject>>();
  #resourceVersion = 0;

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  get synced(): boolean {
    return [...this.#caches.values()].every((c) => c.synced);
  }

  kind<K extends ResourceKind>(kind: K): MemoryCache<ObjectOf<K>> {
    let cache = this.#caches.get(kind);
    if (cache === undefined) {
      cache = new MemoryCache();
      this.#caches.set(kind, cache);
    }
    return cache as unknown as MemoryCache<ObjectOf<K>>;
  }

  /** Adds or replaces an object (deep-frozen, with the next resourceVersion); returns it. */
  put(object: CachedObject & { readonly kind: ResourceKind }): CachedObject {
    this.#resourceVersion += 1;
    const stored = deepFreeze({
      ...structuredClone(object),
      metadata: { ...structuredClone(object.metadata), resourceVersion: String(this.#resourceVersion) },
    });
    this.kind(object.kind).put(stored);
    return stored;
  }

  remove(kind: ResourceKind, namespace: string, name: string): void {
    this.kind(kind).remove(namespace, name);
  }
}

export interface RecordedWrite {
  readonly kind: RouteResourceKind;
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
  readonly status: RouteStatus;
}

/** Writes into a MemorySource like the status subresource does; `failNext` plans HTTP failures. */
export class MemoryStatusWriter implements RouteStatusWriter {
  readonly writes: RecordedWrite[] = [];
  readonly #source: MemorySource;
  readonly #planned: number[] = [];

  constructor(source: MemorySource) {
    this.#source = source;
  }

  failNext(...statuses: number[]): void {
    this.#planned.push(...statuses);
  }

  async write(
    kind: RouteResourceKind,
    namespace: string,
    name: string,
    resourceVersion: string,
    status: RouteStatus,
  ): Promise<void> {
    await Promise.resolve();
    this.writes.push({ kind, namespace, name, resourceVersion, status: structuredClone(status) });
    const planned = this.#planned.shift();
    if (planned !== undefined) throw new KubernetesApiError('replace status', planned, `planned HTTP ${planned}`);
    const current = this.#source.kind(kind).get(namespace, name);
    if (current === undefined) throw new KubernetesApiError('replace status', 404, 'not found');
    if (current.metadata.resourceVersion !== resourceVersion) {
      throw new KubernetesApiError('replace status', 409, 'the object has been modified');
    }
    const next = { ...current, status: structuredClone(status) };
    this.#source.put(next);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
