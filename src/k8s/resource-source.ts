// ResourceSource: what the destination controller reads Kubernetes objects through. Typed,
// read-only caches of the kinds it watches, with change events, behind one small interface, so
// the controller runs the same against informers (a cluster) and a folder of YAML (local mode).
//
// Contract:
// - `kind(k)` may be called before `start()`; register handlers then to hear the initial adds.
// - Cached objects are deep-frozen and in wire form (as JSON from the API server or a YAML file:
//   timestamps are strings), with `apiVersion`, `kind`, `metadata.name` and `metadata.namespace`
//   always set. They are shared: never mutate them (they are frozen anyway).
// - Handlers run synchronously, after the cache has changed, in registration order. The source
//   never awaits them: a handler must not block and must not call the API server; it enqueues a
//   key and a worker reconciles from the cache (STYLE.md rule 9). A handler that throws is logged
//   and does not stop the others.
// - `synced` turns true once a kind's first full list (or the first read of the folder) is in the
//   cache, and stays true.
//
// This file holds types and a table only: it never loads @kubernetes/client-node at runtime.

import type { V1EndpointSlice, V1ObjectMeta, V1PodSpec, V1PodStatus, V1Service } from '@kubernetes/client-node';

/** The kinds a ResourceSource serves. */
export type ResourceKind = 'Service' | 'EndpointSlice' | 'Pod' | 'ServiceProfile' | 'HTTPRoute' | 'GRPCRoute';

/** Where a kind lives in the Kubernetes API. */
export interface ResourceKindInfo {
  readonly kind: ResourceKind;
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** `v1` for the core group, `group/version` otherwise. */
  readonly apiVersion: string;
  /** The lower-case plural in API paths. */
  readonly plural: string;
}

function info(kind: ResourceKind, group: string, version: string, plural: string): ResourceKindInfo {
  return Object.freeze({ kind, group, version, plural, apiVersion: group === '' ? version : `${group}/${version}` });
}

/** Every kind, in the order sources process them. All are namespaced. */
export const RESOURCE_KINDS: Readonly<Record<ResourceKind, ResourceKindInfo>> = Object.freeze({
  Service: info('Service', '', 'v1', 'services'),
  EndpointSlice: info('EndpointSlice', 'discovery.k8s.io', 'v1', 'endpointslices'),
  Pod: info('Pod', '', 'v1', 'pods'),
  ServiceProfile: info('ServiceProfile', 'nodemesh.io', 'v1alpha2', 'serviceprofiles'),
  HTTPRoute: info('HTTPRoute', 'gateway.networking.k8s.io', 'v1', 'httproutes'),
  GRPCRoute: info('GRPCRoute', 'gateway.networking.k8s.io', 'v1', 'grpcroutes'),
});

/** The kinds as a list, in table order. */
export const RESOURCE_KIND_NAMES: readonly ResourceKind[] = Object.freeze(
  Object.keys(RESOURCE_KINDS) as ResourceKind[],
);

/** The namespace objects without one are put in (as kubectl does). */
export const DEFAULT_NAMESPACE = 'default';

/**
 * The JSON form of a client-node model, deeply read-only: where the generated models declare
 * `Date` (timestamps), the wire carries an RFC 3339 string, and so do our caches.
 */
export type WireForm<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? readonly WireForm<U>[]
    : T extends object
      ? { readonly [K in keyof T]: WireForm<T[K]> }
      : T;

/** Object metadata as cached: name and namespace always present. */
export type CachedMetadata = WireForm<V1ObjectMeta> & { readonly name: string; readonly namespace: string };

/** What every cached object has, whatever its kind. */
export interface CachedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: CachedMetadata;
}

/** A cached built-in object: the client-node model in wire form, with the fields above required. */
export type Cached<T> = WireForm<T> & CachedObject;

/**
 * A custom resource carried as is: its spec is checked by whoever reads it (src/profiles for
 * ServiceProfiles and routes), not here.
 */
export interface CustomObject<K extends ResourceKind> extends CachedObject {
  readonly kind: K;
  readonly spec?: { readonly [field: string]: unknown };
  readonly status?: { readonly [field: string]: unknown };
}

export type ServiceObject = Cached<V1Service>;
export type EndpointSliceObject = Cached<V1EndpointSlice>;
/**
 * A cached Pod: its metadata and only the spec and status fields resource-projection.ts keeps
 * (both sources prune pods to these before caching them).
 */
export type PodObject = CachedObject & {
  readonly spec?: Pick<WireForm<V1PodSpec>, 'serviceAccountName' | 'nodeName' | 'hostNetwork'>;
  readonly status?: Pick<WireForm<V1PodStatus>, 'phase' | 'podIP' | 'podIPs' | 'hostIP' | 'hostIPs'>;
};
export type ServiceProfileObject = CustomObject<'ServiceProfile'>;
export type HttpRouteObject = CustomObject<'HTTPRoute'>;
export type GrpcRouteObject = CustomObject<'GRPCRoute'>;

/** The cached type of each kind. */
export interface ResourceObjects {
  readonly Service: ServiceObject;
  readonly EndpointSlice: EndpointSliceObject;
  readonly Pod: PodObject;
  readonly ServiceProfile: ServiceProfileObject;
  readonly HTTPRoute: HttpRouteObject;
  readonly GRPCRoute: GrpcRouteObject;
}

export type ObjectOf<K extends ResourceKind> = ResourceObjects[K];

export type ResourceEventType = 'add' | 'update' | 'delete';

/**
 * A change handler. `add`: the new object, no previous. `update`: the new object and the one it
 * replaced. `delete`: the last known state of the object, no previous.
 */
export type ResourceHandler<T> = (object: T, previous: T | undefined) => void;

/** A read-only cache of one kind. */
export interface ResourceCache<T extends CachedObject> {
  /** The object, or undefined. */
  get(namespace: string, name: string): T | undefined;
  /** The objects of one namespace, or of all of them; a fresh array each call. */
  list(namespace?: string): readonly T[];
  /** Calls `handler` on each change from now on; returns the function that stops it. */
  on(event: ResourceEventType, handler: ResourceHandler<T>): () => void;
  /** True once the first full list is in. */
  readonly synced: boolean;
}

/** Typed caches of every kind, kept up to date from a cluster or a folder. */
export interface ResourceSource {
  /** Starts filling the caches; resolves once every kind is synced. */
  start(): Promise<void>;
  /** Stops for good: no more requests, reads of the folder or events. Idempotent. */
  close(): Promise<void>;
  /** The cache of one kind (the same object on every call). */
  kind<K extends ResourceKind>(kind: K): ResourceCache<ObjectOf<K>>;
  /** True once every kind is synced. */
  readonly synced: boolean;
}

/** The kind an `apiVersion` and `kind` name, or undefined when no source serves it. */
export function resourceKindOf(apiVersion: string, kind: string): ResourceKind | undefined {
  const known = (RESOURCE_KINDS as Readonly<Record<string, ResourceKindInfo | undefined>>)[kind];
  if (known === undefined || !Object.hasOwn(RESOURCE_KINDS, kind)) return undefined;
  return known.apiVersion === apiVersion ? known.kind : undefined;
}
