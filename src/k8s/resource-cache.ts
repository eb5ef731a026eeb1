// ResourceStore: the ResourceCache both sources fill. Objects by namespace and name, change
// events, and the diff a full list (or a re-read of the folder) makes against what is cached.
//
// Contract:
// - Only the source that owns a store mutates it (`apply`, `delete`, `replaceAll`, `markSynced`);
//   consumers see the read-only ResourceCache side.
// - An object whose resourceVersion equals the cached one, or (without resourceVersions) that is
//   deeply equal to it, is not a change: no event. So a relist, or an informer replaying what the
//   store already has, fires nothing.
// - Events fire synchronously after the cache changed; a handler that throws is passed to
//   `onHandlerError` and the remaining handlers still run. The store never awaits a handler.
// - Objects are deep-frozen on the way in (`freezeObject`).

import { isDeepStrictEqual } from 'node:util';
import type { CachedObject, ResourceCache, ResourceEventType, ResourceHandler } from './resource-source.ts';

export interface ResourceStoreOptions {
  /** Called when a handler throws; the store goes on with the next handler. */
  readonly onHandlerError: (err: unknown, event: ResourceEventType, object: CachedObject) => void;
}

export class ResourceStore<T extends CachedObject> implements ResourceCache<T> {
  readonly #byNamespace = new Map<string, Map<string, T>>();
  readonly #handlers: Record<ResourceEventType, Set<ResourceHandler<T>>> = {
    add: new Set(),
    update: new Set(),
    delete: new Set(),
  };
  readonly #onHandlerError: ResourceStoreOptions['onHandlerError'];
  #synced = false;
  #size = 0;

  constructor(options: ResourceStoreOptions) {
    this.#onHandlerError = options.onHandlerError;
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** How many objects are cached. */
  get size(): number {
    return this.#size;
  }

  get(namespace: string, name: string): T | undefined {
    return this.#byNamespace.get(namespace)?.get(name);
  }

  list(namespace?: string): readonly T[] {
    if (namespace !== undefined) return [...(this.#byNamespace.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const objects of this.#byNamespace.values()) all.push(...objects.values());
    return all;
  }

  on(event: ResourceEventType, handler: ResourceHandler<T>): () => void {
    const handlers = this.#handlers[event];
    // A wrapper, so the same function registered twice is called twice and removed once.
    const registered: ResourceHandler<T> = (object, previous) => handler(object, previous);
    handlers.add(registered);
    return () => {
      handlers.delete(registered);
    };
  }

  markSynced(): void {
    this.#synced = true;
  }

  /** Adds or replaces `object`; returns what happened. */
  apply(object: T): 'add' | 'update' | 'unchanged' {
    const { namespace, name } = object.metadata;
    let objects = this.#byNamespace.get(namespace);
    const previous = objects?.get(name);
    if (previous !== undefined && isSameObject(previous, object)) return 'unchanged';
    if (objects === undefined) {
      objects = new Map();
      this.#byNamespace.set(namespace, objects);
    }
    objects.set(name, object);
    if (previous === undefined) {
      this.#size += 1;
      this.#emit('add', object, undefined);
      return 'add';
    }
    this.#emit('update', object, previous);
    return 'update';
  }

  /** Removes the object `ref` names; fires `delete` with the cached state. False when absent. */
  delete(ref: CachedObject): boolean {
    const { namespace, name } = ref.metadata;
    const objects = this.#byNamespace.get(namespace);
    const previous = objects?.get(name);
    if (objects === undefined || previous === undefined) return false;
    objects.delete(name);
    if (objects.size === 0) this.#byNamespace.delete(namespace);
    this.#size -= 1;
    this.#emit('delete', previous, undefined);
    return true;
  }

  /**
   * Makes the cache hold exactly `objects`: adds and updates in their order, then deletes what is
   * gone. Returns how many objects changed.
   */
  replaceAll(objects: readonly T[]): number {
    let changed = 0;
    const keep = new Map<string, Set<string>>();
    for (const object of objects) {
      const { namespace, name } = object.metadata;
      let names = keep.get(namespace);
      if (names === undefined) keep.set(namespace, (names = new Set()));
      names.add(name);
      if (this.apply(object) !== 'unchanged') changed += 1;
    }
    const gone: T[] = [];
    for (const [namespace, cached] of this.#byNamespace) {
      const names = keep.get(namespace);
      for (const [name, object] of cached) if (names?.has(name) !== true) gone.push(object);
    }
    for (const object of gone) if (this.delete(object)) changed += 1;
    return changed;
  }

  #emit(event: ResourceEventType, object: T, previous: T | undefined): void {
    for (const handler of [...this.#handlers[event]]) {
      try {
        handler(object, previous);
      } catch (err) {
        this.#onHandlerError(err, event, object);
      }
    }
  }
}

function isSameObject(a: CachedObject, b: CachedObject): boolean {
  if (a === b) return true;
  const [ra, rb] = [a.metadata.resourceVersion, b.metadata.resourceVersion];
  if (ra !== undefined && rb !== undefined && ra !== '' && rb !== '') return ra === rb;
  return isDeepStrictEqual(a, b);
}

/** Freezes `value` and everything reachable from it (plain data: objects and arrays); returns it. */
export function freezeObject<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) freezeObject(child);
  return value;
}
