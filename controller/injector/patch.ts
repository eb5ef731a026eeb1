// The RFC 6902 JSON Patch that injects a pod (reference §7.3) or annotates a Service.
//
// Order of operations: labels, annotations, volumes, init containers, containers. A map or list
// the object lacks is added empty first; keys are escaped as JSON Pointers (`nodemesh.io~1inject`).
// Placement of the proxy:
//   - native sidecar: an init container with restartPolicy Always, right after nodemesh-init, which
//     is the first init container (so the pod's own init containers already run meshed);
//   - legacy with await: the first container, whose postStart hook holds the others until ready;
//   - legacy without await: the last container.
//
// Contract: pure; the patch applies to the object it was built from.

import { jsonPointer, type JsonPatchOperation } from '../../src/json-patch/index.ts';
import { initContainer, proxyContainer, proxyVolumes } from './containers.ts';
import type { InjectorConfig } from './injector-config.ts';
import { ANNOTATION_OPAQUE_PORTS } from './names.ts';
import { isObject, listAt, objectAt, type JsonObject } from './pod-shape.ts';
import { defaultOpaquePorts } from './ports.ts';
import type { ProxySettings } from './proxy-settings.ts';

export interface PodPatchInput {
  readonly pod: JsonObject;
  readonly config: InjectorConfig;
  readonly settings: ProxySettings;
  /** Labels to set, in order. */
  readonly labels: readonly (readonly [string, string])[];
  /** Annotations to set, in order. */
  readonly annotations: readonly (readonly [string, string])[];
}

export function buildPodPatch(input: PodPatchInput): JsonPatchOperation[] {
  const { pod, config, settings } = input;
  const ops: JsonPatchOperation[] = [];
  ops.push(...metadataOps(pod, 'labels', input.labels), ...metadataOps(pod, 'annotations', input.annotations));

  const spec = objectAt(pod, 'spec');
  if (spec === undefined) ops.push({ op: 'add', path: '/spec', value: {} });
  if (listAt(spec, 'volumes') === undefined) ops.push({ op: 'add', path: '/spec/volumes', value: [] });
  for (const volume of proxyVolumes(config.cniEnabled)) ops.push({ op: 'add', path: '/spec/volumes/-', value: volume });

  const init = config.cniEnabled ? [] : [initContainer(settings)];
  const proxy = proxyContainer(settings, config);
  const initContainers = settings.nativeSidecar ? [...init, proxy] : init;
  if (initContainers.length > 0 && listAt(spec, 'initContainers') === undefined) {
    ops.push({ op: 'add', path: '/spec/initContainers', value: [] });
  }
  initContainers.forEach((container, i) =>
    ops.push({ op: 'add', path: `/spec/initContainers/${i}`, value: container }),
  );
  if (!settings.nativeSidecar) {
    if (listAt(spec, 'containers') === undefined) ops.push({ op: 'add', path: '/spec/containers', value: [] });
    ops.push({ op: 'add', path: settings.await ? '/spec/containers/0' : '/spec/containers/-', value: proxy });
  }
  return ops;
}

/** Operations setting `entries` under metadata.labels or metadata.annotations. */
export function metadataOps(
  obj: JsonObject,
  field: 'labels' | 'annotations',
  entries: readonly (readonly [string, string])[],
): JsonPatchOperation[] {
  if (entries.length === 0) return [];
  const ops: JsonPatchOperation[] = [];
  const meta = objectAt(obj, 'metadata');
  if (meta === undefined) ops.push({ op: 'add', path: '/metadata', value: {} });
  if (!isObject(meta?.[field])) ops.push({ op: 'add', path: jsonPointer('metadata', field), value: {} });
  for (const [key, value] of entries) ops.push({ op: 'add', path: jsonPointer('metadata', field, key), value });
  return ops;
}

/**
 * A Service without `config.nodemesh.io/opaque-ports` gets one listing its ports that are in the
 * default opaque list (reference §7.2); anything else is left alone (empty patch).
 */
export function buildServicePatch(service: JsonObject, defaultOpaque: string): JsonPatchOperation[] {
  const annotations = objectAt(objectAt(service, 'metadata'), 'annotations');
  if (annotations !== undefined && Object.hasOwn(annotations, ANNOTATION_OPAQUE_PORTS)) return [];
  const ports = (listAt(objectAt(service, 'spec'), 'ports') ?? []).flatMap((p) =>
    isObject(p) && typeof p['port'] === 'number' && (p['protocol'] ?? 'TCP') === 'TCP' ? [p['port']] : [],
  );
  const opaque = defaultOpaquePorts(ports, defaultOpaque);
  return opaque === '' ? [] : metadataOps(service, 'annotations', [[ANNOTATION_OPAQUE_PORTS, opaque]]);
}
