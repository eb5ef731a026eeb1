// Route status for a controller: the Gateway API v1 `Accepted` and `ResolvedRefs` conditions of a
// route for each of its Service parents, from a lookup of the Services that exist.
//
// Contract: pure; the lookup is an interface the controller backs with its informer cache. The
// condition types and reasons are Gateway API's (RouteConditionType / RouteConditionReason in
// apis/v1/shared_types.go). Conditions carry no lastTransitionTime: the controller adds it from its
// clock when a condition's status changes. Parents that are not core Services (Gateways, …) get no
// status from nodemesh: their own controllers write it.

import type { RouteProblem } from './route-errors.ts';
import type { BackendRef, ParentRef, Route } from './route-types.ts';

export const ROUTE_CONDITION_TYPES = Object.freeze({
  accepted: 'Accepted',
  resolvedRefs: 'ResolvedRefs',
  partiallyInvalid: 'PartiallyInvalid',
} as const);

/** RouteConditionReason values of Gateway API v1. */
export const ROUTE_CONDITION_REASONS = Object.freeze({
  accepted: 'Accepted',
  notAllowedByListeners: 'NotAllowedByListeners',
  noMatchingListenerHostname: 'NoMatchingListenerHostname',
  noMatchingParent: 'NoMatchingParent',
  unsupportedValue: 'UnsupportedValue',
  pending: 'Pending',
  incompatibleFilters: 'IncompatibleFilters',
  resolvedRefs: 'ResolvedRefs',
  refNotPermitted: 'RefNotPermitted',
  invalidKind: 'InvalidKind',
  backendNotFound: 'BackendNotFound',
  unsupportedProtocol: 'UnsupportedProtocol',
} as const);

export type AcceptedReason = 'Accepted' | 'NoMatchingParent' | 'UnsupportedValue';
export type ResolvedRefsReason = 'ResolvedRefs' | 'BackendNotFound' | 'InvalidKind' | 'RefNotPermitted';

export interface RouteCondition {
  readonly type: 'Accepted' | 'ResolvedRefs';
  readonly status: 'True' | 'False';
  readonly reason: AcceptedReason | ResolvedRefsReason;
  readonly message: string;
  /** The route's metadata.generation when known. */
  readonly observedGeneration?: number;
}

/** What the controller knows about Services. */
export interface ServiceLookup {
  /** The Service's ports, or undefined when no such Service exists. */
  service(namespace: string, name: string): { readonly ports: readonly number[] } | undefined;
  /**
   * Whether a route in `fromNamespace` may send to Service `name` in `toNamespace` (a ReferenceGrant
   * there allows it). Omitted: every cross-namespace reference is allowed.
   */
  referenceAllowed?(fromNamespace: string, toNamespace: string, name: string): boolean;
}

export interface UnresolvedBackend {
  /** e.g. `spec.rules[0].backendRefs[1]`. */
  readonly path: string;
  readonly ruleIndex: number;
  readonly backendIndex: number;
  readonly backend: BackendRef;
  readonly reason: Exclude<ResolvedRefsReason, 'ResolvedRefs'>;
  readonly message: string;
}

/** Every backendRef that cannot be used, with its Gateway API reason. */
export function unresolvedBackends(route: Route, lookup: ServiceLookup): UnresolvedBackend[] {
  const out: UnresolvedBackend[] = [];
  route.rules.forEach((rule, ruleIndex) => {
    rule.backendRefs.forEach((backend, backendIndex) => {
      const at = { path: `spec.rules[${ruleIndex}].backendRefs[${backendIndex}]`, ruleIndex, backendIndex, backend };
      const problem = backendProblem(route, backend, lookup);
      if (problem !== undefined) out.push({ ...at, ...problem });
    });
  });
  return out;
}

function backendProblem(
  route: Route,
  backend: BackendRef,
  lookup: ServiceLookup,
): Pick<UnresolvedBackend, 'reason' | 'message'> | undefined {
  const name = `${backend.namespace}/${backend.name}`;
  if (!((backend.group === '' || backend.group === 'core') && backend.kind === 'Service')) {
    const group = backend.group === '' ? 'core' : backend.group;
    return {
      reason: 'InvalidKind',
      message: `backend ${name} is a ${backend.kind} (group ${group}); only core Services are supported`,
    };
  }
  const from = route.metadata.namespace;
  if (from !== backend.namespace && lookup.referenceAllowed?.(from, backend.namespace, backend.name) === false) {
    return {
      reason: 'RefNotPermitted',
      message: `no ReferenceGrant in namespace ${backend.namespace} allows routes in ${from} to use Service ${backend.name}`,
    };
  }
  const service = lookup.service(backend.namespace, backend.name);
  if (service === undefined) return { reason: 'BackendNotFound', message: `Service ${name} does not exist` };
  if (backend.port !== undefined && !service.ports.includes(backend.port)) {
    return { reason: 'BackendNotFound', message: `Service ${name} has no port ${backend.port}` };
  }
  return undefined;
}

/** The ResolvedRefs condition: True, or False with the first unresolved backend's reason. */
export function resolvedRefsCondition(route: Route, lookup: ServiceLookup): RouteCondition {
  const unresolved = unresolvedBackends(route, lookup);
  const first = unresolved[0];
  const generation = observed(route);
  if (first === undefined) {
    return {
      type: 'ResolvedRefs',
      status: 'True',
      reason: 'ResolvedRefs',
      message: 'all backend references resolved',
      ...generation,
    };
  }
  const more = unresolved.length > 1 ? ` (and ${unresolved.length - 1} more)` : '';
  return {
    type: 'ResolvedRefs',
    status: 'False',
    reason: first.reason,
    message: `${first.path}: ${first.message}${more}`,
    ...generation,
  };
}

/**
 * The Accepted condition of `route` for one of its Service parents: NoMatchingParent when the
 * Service (or the parentRef's port on it) does not exist, UnsupportedValue when the route uses
 * something nodemesh does not implement (parseRoute's `unsupported`), else Accepted.
 */
export function acceptedCondition(
  route: Route,
  parent: ParentRef,
  lookup: ServiceLookup,
  unsupported: readonly RouteProblem[] = [],
): RouteCondition {
  const generation = observed(route);
  const name = `${parent.namespace}/${parent.name}`;
  const refused = (reason: AcceptedReason, message: string): RouteCondition => ({
    type: 'Accepted',
    status: 'False',
    reason,
    message,
    ...generation,
  });
  const service = lookup.service(parent.namespace, parent.name);
  if (service === undefined) return refused('NoMatchingParent', `parent Service ${name} does not exist`);
  if (parent.port !== undefined && !service.ports.includes(parent.port)) {
    return refused('NoMatchingParent', `parent Service ${name} has no port ${parent.port}`);
  }
  if (unsupported.length > 0) {
    return refused('UnsupportedValue', unsupported.map((p) => `${p.path}: ${p.problem}`).join('; '));
  }
  return { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'route accepted', ...generation };
}

export interface MeshParentStatus {
  /** The index in spec.parentRefs: status echoes that entry as written (the model resolves defaults). */
  readonly parentIndex: number;
  readonly parentRef: ParentRef;
  readonly controllerName: string;
  readonly conditions: readonly RouteCondition[];
}

/** One `status.parents[]` entry per Service parent, with both conditions. */
export function meshParentStatuses(
  route: Route,
  lookup: ServiceLookup,
  options: { readonly controllerName: string; readonly unsupported?: readonly RouteProblem[] },
): MeshParentStatus[] {
  const resolved = resolvedRefsCondition(route, lookup);
  const out: MeshParentStatus[] = [];
  route.parentRefs.forEach((parentRef, parentIndex) => {
    if (!parentRef.mesh) return;
    const accepted = acceptedCondition(route, parentRef, lookup, options.unsupported);
    out.push({ parentIndex, parentRef, controllerName: options.controllerName, conditions: [accepted, resolved] });
  });
  return out;
}

function observed(route: Route): { readonly observedGeneration?: number } {
  return route.metadata.generation === undefined ? {} : { observedGeneration: route.metadata.generation };
}
