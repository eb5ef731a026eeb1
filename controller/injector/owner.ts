// The workload a pod belongs to, for the `nodemesh.io/proxy-<kind>: <name>` label.
//
// The webhook sees pods with ownerReferences; it does not call the API server to walk up the
// chain. A ReplicaSet owner named `<deployment>-<hash>` whose pod carries the same
// `pod-template-hash` label was made by a Deployment, and the pod is labelled with the Deployment
// (Linkerd labels Deployment pods `proxy-deployment` only). `nodemesh inject` knows the workload
// directly from the object it reads.

import { OWNER_KINDS, type OwnerKind } from './names.ts';
import { labelsOf, ownerReferences } from './pod-shape.ts';

export interface Owner {
  readonly kind: OwnerKind;
  readonly name: string;
}

/** The owner kind for a workload kind (`Deployment` → `deployment`), undefined for others. */
export function ownerKindOf(kind: string): OwnerKind | undefined {
  const lower = kind.toLowerCase();
  return OWNER_KINDS.find((k) => k === lower);
}

/** The pod's owning workload from its controller ownerReference (or its first one). */
export function ownerFromPod(pod: unknown): Owner | undefined {
  const refs = ownerReferences(pod);
  const ref = refs.find((r) => r.controller) ?? refs[0];
  if (ref === undefined) return undefined;
  const kind = ownerKindOf(ref.kind);
  if (kind === undefined) return undefined;
  if (kind === 'replicaset') {
    const hash = labelsOf(pod)['pod-template-hash'];
    if (hash !== undefined && hash !== '' && ref.name.endsWith(`-${hash}`)) {
      return { kind: 'deployment', name: ref.name.slice(0, -(hash.length + 1)) };
    }
  }
  return { kind, name: ref.name };
}
