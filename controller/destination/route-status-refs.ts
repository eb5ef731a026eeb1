// Route keys for the route status queue, and which routes a Service change concerns.
//
// Contract: pure. A key is `Kind/namespace/name` (names hold no `/`). `referencesService` reads the
// object as stored (parentRefs and backendRefs, namespaces defaulting to the route's), not the
// parsed model, so that invalid routes are found too; a match on name and namespace is enough (a
// spare reconcile is harmless, a missed one leaves a stale status).

import type { ResourceKind } from '../../src/k8s/index.ts';
import type { RouteObject } from './route-status-compute.ts';

export type RouteResourceKind = Extract<ResourceKind, 'HTTPRoute' | 'GRPCRoute'>;

export const ROUTE_RESOURCE_KINDS: readonly RouteResourceKind[] = Object.freeze(['HTTPRoute', 'GRPCRoute']);

export interface RouteKey {
  readonly kind: RouteResourceKind;
  readonly namespace: string;
  readonly name: string;
}

export function routeStatusKey(kind: RouteResourceKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** The parts of a key made by routeStatusKey, or undefined for anything else. */
export function parseRouteStatusKey(key: string): RouteKey | undefined {
  const [kind, namespace, name, extra] = key.split('/');
  if (extra !== undefined || namespace === undefined || name === undefined) return undefined;
  if (kind !== 'HTTPRoute' && kind !== 'GRPCRoute') return undefined;
  return { kind, namespace, name };
}

/** True when `route` names Service `namespace/name` as a parent or a backend. */
export function referencesService(route: RouteObject, namespace: string, name: string): boolean {
  const own = route.metadata.namespace;
  const names = (ref: unknown): boolean => {
    if (typeof ref !== 'object' || ref === null) return false;
    const r = ref as { readonly name?: unknown; readonly namespace?: unknown };
    return r.name === name && (typeof r.namespace === 'string' ? r.namespace : own) === namespace;
  };
  const spec = route.spec ?? {};
  if (list(spec['parentRefs']).some(names)) return true;
  return list(spec['rules']).some((rule) =>
    list((rule as { readonly backendRefs?: unknown } | null)?.backendRefs).some(names),
  );
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
