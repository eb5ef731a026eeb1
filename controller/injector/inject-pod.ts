// Injecting one pod (or pod template): the decision, the config annotations, the proxy settings
// and the patch, in one call shared by the webhook (admission.ts) and `nodemesh inject`.
//
// Contract: pure; throws AnnotationError when the pod's or namespace's annotations hold values
// not allowed, and nothing else on any object shape.

import { createHash } from 'node:crypto';
import { VERSION } from '../../src/version.ts';
import type { JsonPatchOperation } from '../../src/json-patch/index.ts';
import { parseConfigAnnotations } from './annotations.ts';
import { decideInjection, type NamespaceMetadata, type SkipReason } from './decision.ts';
import type { InjectorConfig } from './injector-config.ts';
import {
  ANNOTATION_CREATED_BY,
  ANNOTATION_OPAQUE_PORTS,
  ANNOTATION_PROXY_VERSION,
  ANNOTATION_TRUST_ROOT_SHA256,
  CREATED_BY_PREFIX,
  LABEL_CONTROL_PLANE_COMPONENT,
  LABEL_CONTROL_PLANE_NS,
  LABEL_PROXY_OWNER_PREFIX,
  LABEL_WORKLOAD_NS,
} from './names.ts';
import type { Owner } from './owner.ts';
import { buildPodPatch } from './patch.ts';
import { annotationsOf, containerPorts, labelsOf, type JsonObject } from './pod-shape.ts';
import { defaultOpaquePorts } from './ports.ts';
import { resolveProxySettings } from './proxy-settings.ts';

export interface InjectPodInput {
  readonly pod: JsonObject;
  readonly config: InjectorConfig;
  /** The pod's namespace; undefined when unknown (`nodemesh inject` on YAML without one). */
  readonly namespace: string | undefined;
  readonly namespaceMetadata: NamespaceMetadata;
  /** The workload the pod belongs to, for the `nodemesh.io/proxy-<kind>` label. */
  readonly owner: Owner | undefined;
}

export type InjectPodResult =
  | {
      readonly injected: true;
      readonly mode: 'enabled' | 'ingress';
      readonly patch: readonly JsonPatchOperation[];
      readonly warnings: readonly string[];
    }
  | {
      readonly injected: false;
      readonly reason: SkipReason;
      readonly message: string;
      readonly warnings: readonly string[];
    };

export function injectPod(input: InjectPodInput): InjectPodResult {
  const { pod, config } = input;
  const namespaceName = input.namespace ?? '(unknown)';
  const decision = decideInjection({ pod, namespace: input.namespaceMetadata, namespaceName });
  if (!decision.inject) {
    return { injected: false, reason: decision.reason, message: decision.message, warnings: decision.warnings };
  }
  // Config annotations are checked only on pods that get a proxy: they mean nothing elsewhere.
  const parsed = parseConfigAnnotations({
    pod: annotationsOf(pod),
    namespace: input.namespaceMetadata.annotations,
    namespaceName,
  });
  const ports = containerPorts(pod);
  const givenOpaque = parsed.overrides.opaquePorts;
  const computedOpaque =
    givenOpaque === undefined
      ? defaultOpaquePorts(
          ports.map((p) => p.containerPort),
          config.proxy.opaquePorts,
        )
      : '';
  const settings = resolveProxySettings({
    config,
    overrides: parsed.overrides,
    containerPorts: ports,
    opaquePortsAnnotation: givenOpaque ?? computedOpaque,
    ingress: decision.mode === 'ingress',
    controlPlanePod: labelsOf(pod)[LABEL_CONTROL_PLANE_COMPONENT] !== undefined,
  });

  const labels: [string, string][] = [[LABEL_CONTROL_PLANE_NS, config.controlPlaneNamespace]];
  if (input.owner !== undefined) labels.push([`${LABEL_PROXY_OWNER_PREFIX}${input.owner.kind}`, input.owner.name]);
  if (input.namespace !== undefined) labels.push([LABEL_WORKLOAD_NS, input.namespace]);

  const annotations: [string, string][] = [
    [ANNOTATION_CREATED_BY, `${CREATED_BY_PREFIX} ${VERSION}`],
    [ANNOTATION_PROXY_VERSION, settings.version],
    [ANNOTATION_TRUST_ROOT_SHA256, createHash('sha256').update(config.identityTrustAnchorsPEM).digest('hex')],
    ...Object.entries(parsed.inherited),
  ];
  if (computedOpaque !== '') annotations.push([ANNOTATION_OPAQUE_PORTS, computedOpaque]);

  return {
    injected: true,
    mode: decision.mode,
    patch: buildPodPatch({ pod, config, settings, labels, annotations }),
    warnings: [...decision.warnings, ...parsed.warnings, ...settings.warnings],
  };
}
