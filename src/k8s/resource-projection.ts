// What the caches keep of an object. Pods are by far the most numerous objects the destination
// controller watches, and it reads only their metadata and a few spec and status fields; a pod as
// the API server sends it is 2–10 KB of JSON (containers, volumes, conditions, container statuses).
// So a Pod is cut down to POD_SPEC_FIELDS and POD_STATUS_FIELDS before it is cached, as client-go
// informers do with a transform (`SetTransform`). Every kind loses `metadata.managedFields`.
//
// Contract: pruneForCache works in place on an object that is not frozen yet (the Kubernetes source
// shares each object with client-node's own informer cache, so pruning a copy would save nothing)
// and returns it. Both sources call it, so a pod looks the same from a folder as from a cluster.
// A field added to the lists here is a field the controller may read (PodObject's type says which).

import type { ResourceKind } from './resource-source.ts';

/** The Pod spec fields kept. */
export const POD_SPEC_FIELDS = ['serviceAccountName', 'nodeName', 'hostNetwork'] as const;
/** The Pod status fields kept. */
export const POD_STATUS_FIELDS = ['phase', 'podIP', 'podIPs', 'hostIP', 'hostIPs'] as const;

interface Prunable {
  metadata?: { managedFields?: unknown };
  spec?: unknown;
  status?: unknown;
}

export function pruneForCache<T extends object>(kind: ResourceKind, object: T): T {
  const o = object as Prunable;
  if (o.metadata !== undefined && typeof o.metadata === 'object' && o.metadata !== null) {
    delete o.metadata.managedFields;
  }
  if (kind === 'Pod') {
    if (o.spec !== undefined) o.spec = pick(o.spec, POD_SPEC_FIELDS);
    if (o.status !== undefined) o.status = pick(o.status, POD_STATUS_FIELDS);
  }
  return object;
}

function pick(value: unknown, fields: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const source = value as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const field of fields) if (source[field] !== undefined) kept[field] = source[field];
  return kept;
}
