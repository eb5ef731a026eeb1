// Whether a pod gets a proxy (reference §7.2).
//
// Injection is on when `nodemesh.io/inject` is `enabled` or `ingress` on the pod, or on its
// namespace (annotation, or label as ARCHITECTURE.md §6 has users set it) and not `disabled` on the
// pod. It is then still skipped, with a reason, for a pod on the host network (its iptables would
// be the node's) and for a pod that already has a proxy. `automountServiceAccountToken: false` does
// not block injection: the proxy's token is a projected volume of its own, not the automounted one.
// UDP container ports are reported as warnings (the proxy carries TCP only) and do not block.
//
// Contract: pure; throws AnnotationError when an inject annotation has a value not allowed.

import { readInjectMode } from './annotations.ts';
import { ANNOTATION_INJECT, INIT_CONTAINER_NAME, PROXY_CONTAINER_NAME } from './names.ts';
import { annotationsOf, containerNames, containerPorts, objectAt, type JsonObject } from './pod-shape.ts';

/** A namespace's labels and annotations (the webhook reads them from the API). */
export interface NamespaceMetadata {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type SkipReason = 'injection-not-enabled' | 'injection-disabled' | 'host-network' | 'proxy-present';

export type InjectionDecision =
  | { readonly inject: true; readonly mode: 'enabled' | 'ingress'; readonly warnings: readonly string[] }
  | {
      readonly inject: false;
      readonly reason: SkipReason;
      readonly message: string;
      readonly warnings: readonly string[];
    };

export function decideInjection(input: {
  readonly pod: JsonObject;
  readonly namespace: NamespaceMetadata;
  readonly namespaceName: string;
}): InjectionDecision {
  const { pod, namespace, namespaceName } = input;
  const onPod = readInjectMode(annotationsOf(pod)[ANNOTATION_INJECT], 'pod');
  const nsWhere = `namespace ${namespaceName}`;
  const onNamespace =
    readInjectMode(namespace.annotations[ANNOTATION_INJECT], nsWhere) ??
    readInjectMode(namespace.labels[ANNOTATION_INJECT], nsWhere);
  const warnings = containerPorts(pod)
    .filter((p) => p.protocol.toUpperCase() === 'UDP')
    .map(
      (p) => `UDP port ${p.containerPort} is not proxied (the proxy carries TCP only); its traffic bypasses the mesh`,
    );

  const skip = (reason: SkipReason, message: string): InjectionDecision => ({
    inject: false,
    reason,
    message,
    warnings,
  });
  if (onPod === 'disabled') return skip('injection-disabled', `${ANNOTATION_INJECT} is disabled on the pod`);
  const mode = onPod ?? onNamespace;
  if (mode === undefined) {
    return skip(
      'injection-not-enabled',
      `${ANNOTATION_INJECT} is not set on the pod or its namespace ${namespaceName}`,
    );
  }
  if (mode === 'disabled')
    return skip('injection-disabled', `${ANNOTATION_INJECT} is disabled on namespace ${namespaceName}`);
  if (objectAt(pod, 'spec')?.['hostNetwork'] === true) {
    return skip('host-network', 'the pod uses the host network (hostNetwork: true); a proxy would intercept the node');
  }
  const names = [...containerNames(pod, 'containers'), ...containerNames(pod, 'initContainers')];
  if (names.includes(PROXY_CONTAINER_NAME) || names.includes(INIT_CONTAINER_NAME)) {
    return skip('proxy-present', `the pod already has a ${PROXY_CONTAINER_NAME} or ${INIT_CONTAINER_NAME} container`);
  }
  return { inject: true, mode, warnings };
}
