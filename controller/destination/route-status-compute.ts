// The status a route should have: the object's `status.parents[]` with nodemesh's entries (one per
// Service parentRef, `controllerName: nodemesh.io/destination`) recomputed from the caches, and every
// other controller's entry left as it is.
//
// Contract: pure. The conditions come from src/routes (meshParentStatuses) for a valid route; a
// route parseRoute refuses gets `Accepted=False` (reason UnsupportedValue) on each Service parent
// it names, with every problem in the message. A condition keeps its lastTransitionTime while its
// status stays the same; otherwise it gets `now` (RFC 3339, whole seconds, as metav1.Time). The
// parentRef of an entry echoes `spec.parentRefs[i]` as stored. When nothing would change,
// `planRouteStatus` says so: the controller writes only real changes, so the MODIFIED event of its
// own write reconciles to "unchanged" (no write loop).

import { isDeepStrictEqual } from 'node:util';
import type { GrpcRouteObject, HttpRouteObject } from '../../src/k8s/index.ts';
import {
  ROUTE_CONDITION_REASONS,
  ROUTE_CONDITION_TYPES,
  meshParentStatuses,
  parseRoute,
  type RouteCondition,
  type RouteProblem,
  type ServiceLookup,
} from '../../src/routes/index.ts';

/** The controllerName of nodemesh's status entries. */
export const ROUTE_STATUS_CONTROLLER_NAME = 'nodemesh.io/destination';

/** Gateway API's limit on a condition message (metav1.Condition). */
const MAX_MESSAGE_LENGTH = 32_768;

export type RouteObject = HttpRouteObject | GrpcRouteObject;

/** A metav1.Condition as written in status. */
export interface StatusCondition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

/** One `status.parents[]` entry as written. */
export interface RouteParentStatus {
  readonly parentRef: unknown;
  readonly controllerName: string;
  readonly conditions: readonly StatusCondition[];
}

/** The route's status stanza (other fields than `parents` are kept as they are). */
export interface RouteStatus {
  readonly parents: readonly unknown[];
  readonly [field: string]: unknown;
}

export type RouteStatusPlan =
  { readonly changed: false } | { readonly changed: true; readonly status: RouteStatus; readonly invalid: boolean };

export interface PlanOptions {
  readonly controllerName?: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

type UnstampedCondition = Omit<StatusCondition, 'lastTransitionTime'>;

interface OurEntry {
  readonly parentRef: unknown;
  readonly conditions: readonly UnstampedCondition[];
}

/** What `object`'s status should be, or `changed: false` when it already is. */
export function planRouteStatus(object: RouteObject, lookup: ServiceLookup, options: PlanOptions): RouteStatusPlan {
  const controllerName = options.controllerName ?? ROUTE_STATUS_CONTROLLER_NAME;
  const existing = isRecord(object.status) ? object.status : {};
  const existingParents = Array.isArray(existing['parents']) ? (existing['parents'] as readonly unknown[]) : [];
  const isOurs = (entry: unknown): boolean => isRecord(entry) && entry['controllerName'] === controllerName;

  const { entries, invalid } = ourEntries(object, lookup, controllerName);
  if (entries.length === 0 && !existingParents.some(isOurs)) return { changed: false };

  const time = rfc3339Seconds(options.now);
  const stamped: RouteParentStatus[] = entries.map((entry) => {
    const before = existingParents.find(
      (p) => isOurs(p) && isDeepStrictEqual((p as Rec)['parentRef'], entry.parentRef),
    );
    const beforeConditions = isRecord(before) && Array.isArray(before['conditions']) ? before['conditions'] : [];
    return {
      parentRef: entry.parentRef,
      controllerName,
      conditions: entry.conditions.map((condition): StatusCondition => {
        const previous = beforeConditions.find((c): c is Rec => isRecord(c) && c['type'] === condition.type);
        const kept = previous?.['status'] === condition.status ? previous['lastTransitionTime'] : undefined;
        return { ...condition, lastTransitionTime: typeof kept === 'string' ? kept : time };
      }),
    };
  });
  const status: RouteStatus = { ...existing, parents: [...existingParents.filter((p) => !isOurs(p)), ...stamped] };
  if (isDeepStrictEqual(status, existing)) return { changed: false };
  return { changed: true, status, invalid };
}

function ourEntries(
  object: RouteObject,
  lookup: ServiceLookup,
  controllerName: string,
): { entries: OurEntry[]; invalid: boolean } {
  const rawParents = Array.isArray(object.spec?.['parentRefs'])
    ? (object.spec['parentRefs'] as readonly unknown[])
    : [];
  const parsed = parseRoute(object, { defaultNamespace: object.metadata.namespace });
  if (!parsed.ok) {
    const generation = object.metadata.generation;
    const condition: UnstampedCondition = {
      type: ROUTE_CONDITION_TYPES.accepted,
      status: 'False',
      reason: ROUTE_CONDITION_REASONS.unsupportedValue,
      message: invalidMessage(parsed.error.problems),
      ...(typeof generation === 'number' ? { observedGeneration: generation } : {}),
    };
    const entries = rawParents.filter(isServiceParentRef).map((parentRef) => ({ parentRef, conditions: [condition] }));
    return { entries, invalid: true };
  }
  const statuses = meshParentStatuses(parsed.route, lookup, { controllerName, unsupported: parsed.unsupported });
  const entries = statuses.map((s) => ({
    parentRef: rawParents[s.parentIndex],
    conditions: s.conditions.map(toUnstamped),
  }));
  return { entries, invalid: false };
}

function toUnstamped(condition: RouteCondition): UnstampedCondition {
  return {
    type: condition.type,
    status: condition.status,
    reason: condition.reason,
    message: truncate(condition.message),
    ...(condition.observedGeneration === undefined ? {} : { observedGeneration: condition.observedGeneration }),
  };
}

/** The message of Accepted=False on an invalid route: every problem, with what is allowed. */
export function invalidMessage(problems: readonly RouteProblem[]): string {
  const listed = problems.map((p) => `${p.path}: ${p.problem} (allowed: ${p.allowed})`).join('; ');
  return truncate(`the route is invalid and is not served; fix ${listed}`);
}

/** A parentRef naming a core Service, as written (before parseRoute's defaults). */
function isServiceParentRef(ref: unknown): boolean {
  if (!isRecord(ref)) return false;
  return (ref['group'] === '' || ref['group'] === 'core') && ref['kind'] === 'Service';
}

function truncate(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/** metav1.Time: RFC 3339 in UTC with whole seconds. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

type Rec = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
