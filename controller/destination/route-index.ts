// RouteIndex: the HTTPRoutes and GRPCRoutes of the resource caches, parsed and indexed by the
// Service they attach to, for GetProfile's `gateway_routes` (ADR 0012).
//
// Contract:
// - Each cached object is parsed with src/routes' parseRoute once (cached per object: the caches
//   replace an object exactly when its resourceVersion, or for files its content, changes). An
//   invalid one is reported once through `onInvalid`, with every problem, and left out.
// - `attachedTo(ns, name)` lists the valid routes with a Service parentRef naming that Service (any
//   port; routesForTarget narrows). The index is rebuilt lazily after `invalidate()`, which the
//   owner calls from its route event handlers; building costs one cache lookup per route.
// - `json` is what a proxy gets: the route object's apiVersion, kind, metadata (name, namespace,
//   creationTimestamp, generation) and spec, as JSON, computed once per object.
// - `routeParentKeys` reads the Services a route object names without validating it, for event
//   handlers (an invalid route only costs a recompute that sends nothing).

import type { GrpcRouteObject, HttpRouteObject, ResourceSource } from '../../src/k8s/index.ts';
import { parseRoute, type Route, type RouteValidationError } from '../../src/routes/index.ts';

export type RouteObject = HttpRouteObject | GrpcRouteObject;

/** A valid route, parsed, with the JSON sent for it. */
export interface ServedRoute {
  readonly route: Route;
  readonly json: string;
}

export type InvalidRouteHandler = (object: RouteObject, error: RouteValidationError) => void;

export class RouteIndex {
  readonly #source: ResourceSource;
  readonly #onInvalid: InvalidRouteHandler;
  readonly #parsed = new WeakMap<RouteObject, ServedRoute | null>();
  #byService: Map<string, ServedRoute[]> | undefined;

  constructor(source: ResourceSource, onInvalid: InvalidRouteHandler) {
    this.#source = source;
    this.#onInvalid = onInvalid;
  }

  /** Marks the index stale (a route was added, changed or deleted). */
  invalidate(): void {
    this.#byService = undefined;
  }

  /** The valid routes with a Service parentRef naming `namespace/name`. */
  attachedTo(namespace: string, name: string): readonly ServedRoute[] {
    this.#byService ??= this.#build();
    return this.#byService.get(`${namespace}/${name}`) ?? [];
  }

  /** The route `object` is, or undefined when it is invalid (reported on its first parse). */
  parse(object: RouteObject): ServedRoute | undefined {
    const cached = this.#parsed.get(object);
    if (cached !== undefined) return cached ?? undefined;
    const wire = withStringTimestamp(object);
    const result = parseRoute(wire, { defaultNamespace: wire.metadata.namespace });
    const served = result.ok ? { route: result.route, json: routeJson(wire) } : null;
    this.#parsed.set(object, served);
    if (!result.ok) this.#onInvalid(object, result.error);
    return served ?? undefined;
  }

  #build(): Map<string, ServedRoute[]> {
    const index = new Map<string, ServedRoute[]>();
    const objects: readonly RouteObject[] = [
      ...this.#source.kind('HTTPRoute').list(),
      ...this.#source.kind('GRPCRoute').list(),
    ];
    for (const object of objects) {
      const served = this.parse(object);
      if (served === undefined) continue;
      const keys = new Set(served.route.parentRefs.filter((p) => p.mesh).map((p) => `${p.namespace}/${p.name}`));
      for (const key of keys) {
        const list = index.get(key);
        if (list === undefined) index.set(key, [served]);
        else list.push(served);
      }
    }
    return index;
  }
}

/**
 * `object` with `metadata.creationTimestamp` as a string. The file source reads YAML 1.1, where an
 * unquoted `2026-01-01T00:00:00Z` is a timestamp (a Date once decoded); the API server and
 * `kubectl get -o yaml` always give a string, which is what parseRoute reads.
 */
function withStringTimestamp(object: RouteObject): RouteObject {
  const created: unknown = object.metadata.creationTimestamp;
  if (!(created instanceof Date) || Number.isNaN(created.getTime())) return object;
  return {
    ...object,
    metadata: { ...object.metadata, creationTimestamp: created.toISOString().replace('.000Z', 'Z') },
  };
}

/**
 * The `namespace/name` of each Service `object`'s parentRefs name, read as written, without
 * validation (cheap enough for an event handler; an invalid route only causes a recompute).
 */
export function routeParentKeys(object: RouteObject | undefined): string[] {
  const refs = object?.spec?.['parentRefs'];
  if (object === undefined || !Array.isArray(refs)) return [];
  const keys = new Set<string>();
  for (const ref of refs as unknown[]) {
    if (typeof ref !== 'object' || ref === null) continue;
    const { group, kind, name, namespace } = ref as Record<string, unknown>;
    if (kind !== 'Service' || (group !== '' && group !== 'core') || typeof name !== 'string') continue;
    keys.add(`${typeof namespace === 'string' ? namespace : object.metadata.namespace}/${name}`);
  }
  return [...keys];
}

/** The JSON a proxy gets for a route object (ADR 0012). */
export function routeJson(object: RouteObject): string {
  const { name, namespace, creationTimestamp, generation } = object.metadata;
  return JSON.stringify({
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name,
      namespace,
      ...(creationTimestamp === undefined ? {} : { creationTimestamp }),
      ...(generation === undefined ? {} : { generation }),
    },
    spec: object.spec ?? {},
  });
}
