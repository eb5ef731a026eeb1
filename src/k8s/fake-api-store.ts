// The fake API server's object store: objects per resource, one global resourceVersion counter,
// and the event log that watches replay from a resourceVersion.
//
// Contract: every add, update and remove takes the next resourceVersion (a decimal string, as in
// Kubernetes, increasing across all resources) and appends one event to the log. Listeners hear
// each event synchronously, in order. Objects are copied on the way in, so a test may keep
// mutating what it passed. `expire()` makes every resourceVersion issued so far too old to watch
// from (410 Gone), as etcd compaction does; the log is bounded and expires its own oldest half
// when it fills.

import {
  BUILTIN_RESOURCES,
  apiVersionOf,
  resourceKey,
  splitApiVersion,
  type FakeObject,
  type FakeResource,
  type ResourcePath,
  type Selector,
} from './fake-api-resources.ts';

export type StoredEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as the log keeps it. */
export interface StoredEvent {
  readonly resourceVersion: number;
  readonly type: StoredEventType;
  readonly resource: FakeResource;
  /** The object after the change (for DELETED: its last state, with the deletion's resourceVersion). */
  readonly object: FakeObject;
  /** The object before a MODIFIED change (watches with selectors need it). */
  readonly previous: FakeObject | undefined;
  /** False when the change was made with `notifyWatches: false`: only watches started later see it. */
  readonly live: boolean;
}

export interface MutationOptions {
  /** Deliver the event to watches open now (default true). False simulates a change a watch missed. */
  readonly notifyWatches?: boolean;
}

/** The least that names an object: its apiVersion, kind, namespace and name. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

const DEFAULT_MAX_EVENTS = 10_000;

export class FakeObjectStore {
  readonly #resources = new Map<string, FakeResource>();
  readonly #byKind = new Map<string, FakeResource>();
  readonly #objects = new Map<string, Map<string, FakeObject>>();
  readonly #listeners = new Set<(event: StoredEvent) => void>();
  readonly #maxEvents: number;
  #log: StoredEvent[] = [];
  #resourceVersion = 0;
  #expiredBelow = 0;

  constructor(options: { readonly resources?: readonly FakeResource[]; readonly maxEvents?: number } = {}) {
    this.#maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    for (const resource of [...BUILTIN_RESOURCES, ...(options.resources ?? [])]) this.registerResource(resource);
  }

  /** Serves another kind (a CRD, say). Registering the same group/version/plural again replaces it. */
  registerResource(resource: FakeResource): void {
    const frozen = Object.freeze({ ...resource });
    this.#resources.set(resourceKey(frozen), frozen);
    this.#byKind.set(`${apiVersionOf(frozen)}|${frozen.kind}`, frozen);
  }

  /** The resource a request path names, or undefined when the server does not serve it. */
  resourceAt(path: ResourcePath): FakeResource | undefined {
    return this.#resources.get(resourceKey(path));
  }

  /** The latest resourceVersion issued (0 before any change). */
  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  /** True when a watch from `resourceVersion` must be answered 410 Gone. */
  isExpired(resourceVersion: number): boolean {
    return resourceVersion < this.#expiredBelow;
  }

  /** Makes every resourceVersion issued so far too old to watch from; lists stay valid. */
  expire(): void {
    this.#resourceVersion += 1;
    this.#expiredBelow = this.#resourceVersion;
    this.#log = [];
  }

  /** Calls `listener` for every change from now on; returns the function that stops it. */
  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  add(object: FakeObject, options: MutationOptions = {}): FakeObject {
    const resource = this.#resourceOf(object);
    const key = this.#key(resource, object);
    const bucket = this.#bucket(resource);
    if (bucket.has(key)) {
      throw new Error(`fake API server: ${describe(object)} already exists; use update()`);
    }
    const stored = this.#stamp(structuredClone(object));
    stored.metadata.uid ??= fakeUid(this.#resourceVersion);
    bucket.set(key, stored);
    this.#record('ADDED', resource, stored, undefined, options);
    return structuredClone(stored);
  }

  /** Replaces the stored object whatever resourceVersion `object` carries (a forced update). */
  update(object: FakeObject, options: MutationOptions = {}): FakeObject {
    const resource = this.#resourceOf(object);
    const key = this.#key(resource, object);
    const bucket = this.#bucket(resource);
    const previous = bucket.get(key);
    if (previous === undefined) throw new Error(`fake API server: ${describe(object)} does not exist; use add()`);
    const stored = this.#stamp(structuredClone(object));
    stored.metadata.uid ??= previous.metadata.uid;
    bucket.set(key, stored);
    this.#record('MODIFIED', resource, stored, previous, options);
    return structuredClone(stored);
  }

  remove(ref: ObjectRef, options: MutationOptions = {}): FakeObject {
    const resource = this.#resourceOf(ref);
    const key = this.#key(resource, ref);
    const bucket = this.#bucket(resource);
    const previous = bucket.get(key);
    if (previous === undefined) throw new Error(`fake API server: ${describe(ref)} does not exist`);
    bucket.delete(key);
    const last = this.#stamp(structuredClone(previous));
    this.#record('DELETED', resource, last, previous, options);
    return structuredClone(last);
  }

  /** The objects of `resource` (in `namespace`, or all) that match, in name order. Not copied. */
  list(resource: FakeResource, namespace: string | undefined, matches: ObjectMatcher): FakeObject[] {
    const items = [...this.#bucket(resource).values()].filter(
      (o) => (namespace === undefined || o.metadata.namespace === namespace) && matches(o),
    );
    return items.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  }

  /** One object, or undefined. Not copied. */
  get(resource: FakeResource, namespace: string | undefined, name: string): FakeObject | undefined {
    return this.#bucket(resource).get(`${namespace ?? ''}/${name}`);
  }

  /** The logged events of `resource` after `resourceVersion`, oldest first (live or not). */
  eventsAfter(resource: FakeResource, resourceVersion: number): StoredEvent[] {
    const key = resourceKey(resource);
    return this.#log.filter((e) => e.resourceVersion > resourceVersion && resourceKey(e.resource) === key);
  }

  #resourceOf(ref: ObjectRef): FakeResource {
    const resource = this.#byKind.get(`${ref.apiVersion}|${ref.kind}`);
    if (resource === undefined) {
      const { group } = splitApiVersion(ref.apiVersion);
      throw new Error(
        `fake API server: no resource for apiVersion ${JSON.stringify(ref.apiVersion)} kind ${JSON.stringify(ref.kind)}; ` +
          `register it with registerResource({ group: '${group}', version, plural, kind, namespaced })`,
      );
    }
    return resource;
  }

  #key(resource: FakeResource, ref: ObjectRef): string {
    const { name, namespace } = ref.metadata;
    if (typeof name !== 'string' || name.length === 0)
      throw new Error(`fake API server: ${ref.kind} has no metadata.name`);
    if (resource.namespaced && (namespace === undefined || namespace.length === 0)) {
      throw new Error(`fake API server: ${describe(ref)} needs metadata.namespace (${resource.kind} is namespaced)`);
    }
    if (!resource.namespaced && namespace !== undefined) {
      throw new Error(
        `fake API server: ${describe(ref)} must not have metadata.namespace (${resource.kind} is cluster-scoped)`,
      );
    }
    return `${namespace ?? ''}/${name}`;
  }

  #bucket(resource: FakeResource): Map<string, FakeObject> {
    const key = resourceKey(resource);
    let bucket = this.#objects.get(key);
    if (bucket === undefined) {
      bucket = new Map();
      this.#objects.set(key, bucket);
    }
    return bucket;
  }

  #stamp(object: FakeObject): FakeObject {
    this.#resourceVersion += 1;
    object.metadata.resourceVersion = String(this.#resourceVersion);
    return object;
  }

  #record(
    type: StoredEventType,
    resource: FakeResource,
    object: FakeObject,
    previous: FakeObject | undefined,
    options: MutationOptions,
  ): void {
    const live = options.notifyWatches ?? true;
    const event: StoredEvent = { resourceVersion: this.#resourceVersion, type, resource, object, previous, live };
    this.#log.push(event);
    if (this.#log.length > this.#maxEvents) this.#compactHalf();
    if (live) for (const listener of this.#listeners) listener(event);
  }

  #compactHalf(): void {
    const dropped = this.#log.splice(0, Math.ceil(this.#log.length / 2));
    const newestDropped = dropped.at(-1);
    if (newestDropped !== undefined) this.#expiredBelow = Math.max(this.#expiredBelow, newestDropped.resourceVersion);
  }
}

/** Decides whether one object is selected (namespace, labels and fields). */
export type ObjectMatcher = (object: FakeObject) => boolean;

/** An ObjectMatcher from compiled label and field selectors. */
export function objectMatcher(labels: Selector, fields: Selector, fieldsOf: (o: FakeObject) => Record<string, string>) {
  return (object: FakeObject): boolean => labels(object.metadata.labels ?? {}) && fields(fieldsOf(object));
}

function describe(ref: ObjectRef): string {
  const ns = ref.metadata.namespace;
  return `${ref.kind} ${ns === undefined ? '' : `${ns}/`}${ref.metadata.name}`;
}

function sortKey(object: FakeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** A deterministic UUID-shaped uid, so tests that compare objects stay stable. */
function fakeUid(resourceVersion: number): string {
  return `00000000-0000-4000-8000-${resourceVersion.toString(16).padStart(12, '0')}`;
}
