// Metric labels of a pod endpoint, as Linkerd's endpoint translator sets them: `pod`, the owner
// kind (`deployment`, `statefulset`, `daemonset`, `replicaset`, `k8s_job`, …), `serviceaccount`,
// `pod_template_hash`, `control_plane_ns` (meshed pods) and `zone`. The proxy turns them into
// `dst_*` labels (reference §5).
//
// Contract: pure. A ReplicaSet whose name is `<deployment>-<pod-template-hash>` is reported as its
// Deployment (the ReplicaSet object itself is not watched).

import type { PodObject } from '../../src/k8s/index.ts';

export const CONTROL_PLANE_NS_LABEL = 'nodemesh.io/control-plane-ns';
const POD_TEMPLATE_HASH = 'pod-template-hash';

/** The controller (owner) of a pod as a label name and value, e.g. `deployment=web`. */
export function ownerLabel(pod: PodObject): { readonly key: string; readonly value: string } | undefined {
  const owners = pod.metadata.ownerReferences ?? [];
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  if (owner === undefined) return undefined;
  const hash = pod.metadata.labels?.[POD_TEMPLATE_HASH];
  switch (owner.kind) {
    case 'ReplicaSet':
      if (hash !== undefined && owner.name.endsWith(`-${hash}`)) {
        return { key: 'deployment', value: owner.name.slice(0, -hash.length - 1) };
      }
      return { key: 'replicaset', value: owner.name };
    case 'Job':
      return { key: 'k8s_job', value: owner.name };
    default:
      return { key: owner.kind.toLowerCase(), value: owner.name };
  }
}

/** The per-endpoint labels of a pod endpoint. */
export function podMetricLabels(pod: PodObject, zone: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {
    pod: pod.metadata.name,
    serviceaccount: pod.spec?.serviceAccountName ?? 'default',
  };
  const owner = ownerLabel(pod);
  if (owner !== undefined) labels[owner.key] = owner.value;
  const hash = pod.metadata.labels?.[POD_TEMPLATE_HASH];
  if (hash !== undefined) labels['pod_template_hash'] = hash;
  const controlPlane = pod.metadata.labels?.[CONTROL_PLANE_NS_LABEL];
  if (controlPlane !== undefined) labels['control_plane_ns'] = controlPlane;
  labels['zone'] = zone ?? '';
  return labels;
}
