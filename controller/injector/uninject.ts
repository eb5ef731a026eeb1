// Removing what the injector added to a pod (template): the proxy and init containers, their
// volumes, the `nodemesh.io/*` labels and annotations (as Linkerd's uninject, `nodemesh.io/inject:
// disabled` and the control-plane-component label stay), and a `config.nodemesh.io/opaque-ports`
// equal to the one the injector computes for these ports (it is then the injector's own).
//
// Contract: pure; returns a new object and whether anything was removed. A list or map left empty
// by a removal is removed too, since the injector added it empty: `inject | uninject` gives back
// the input (except an input that had explicitly empty lists or these annotations already).

import {
  ANNOTATION_INJECT,
  ANNOTATION_OPAQUE_PORTS,
  INIT_CONTAINER_NAME,
  INJECTED_VOLUMES,
  LABEL_CONTROL_PLANE_COMPONENT,
  PROXY_CONTAINER_NAME,
} from './names.ts';
import { containerPorts, isObject, type JsonObject } from './pod-shape.ts';
import { defaultOpaquePorts } from './ports.ts';

export function uninjectPod(
  pod: JsonObject,
  opts: { readonly defaultOpaquePorts: string },
): { readonly changed: boolean; readonly pod: JsonObject } {
  const out = structuredClone(pod) as Record<string, unknown>;
  let changed = false;
  const computedOpaque = defaultOpaquePorts(
    containerPorts(pod).map((p) => p.containerPort),
    opts.defaultOpaquePorts,
  );

  const spec = out['spec'];
  if (isObject(spec)) {
    const s = spec as Record<string, unknown>;
    changed = filterList(s, 'initContainers', (c) => !isNamed(c, PROXY_CONTAINER_NAME, INIT_CONTAINER_NAME)) || changed;
    changed = filterList(s, 'containers', (c) => !isNamed(c, PROXY_CONTAINER_NAME), false) || changed;
    changed = filterList(s, 'volumes', (v) => !isNamed(v, ...INJECTED_VOLUMES)) || changed;
  }
  const meta = out['metadata'];
  if (isObject(meta)) {
    const m = meta as Record<string, unknown>;
    const annotationsChanged = filterMap(
      m,
      'annotations',
      (key, value) =>
        !(
          (key.startsWith('nodemesh.io/') && !(key === ANNOTATION_INJECT && value === 'disabled')) ||
          (key === ANNOTATION_OPAQUE_PORTS && value === computedOpaque)
        ),
    );
    changed = annotationsChanged || changed;
    const labelsChanged = filterMap(
      m,
      'labels',
      (key) => !key.startsWith('nodemesh.io/') || key === LABEL_CONTROL_PLANE_COMPONENT,
    );
    const metaChanged = annotationsChanged || labelsChanged;
    changed = metaChanged || changed;
    // A pod template without metadata got it for the inject annotation.
    if (metaChanged && Object.keys(m).length === 0) delete out['metadata'];
  }
  return { changed, pod: out };
}

function isNamed(value: unknown, ...names: readonly string[]): boolean {
  return isObject(value) && typeof value['name'] === 'string' && names.includes(value['name']);
}

function filterList(
  parent: Record<string, unknown>,
  key: string,
  keep: (item: unknown) => boolean,
  dropEmpty = true,
): boolean {
  const list = parent[key];
  if (!Array.isArray(list)) return false;
  const kept = list.filter(keep);
  if (kept.length === list.length) return false;
  if (kept.length === 0 && dropEmpty) delete parent[key];
  else parent[key] = kept;
  return true;
}

function filterMap(
  parent: Record<string, unknown>,
  key: string,
  keep: (key: string, value: unknown) => boolean,
): boolean {
  const map = parent[key];
  if (!isObject(map)) return false;
  const kept = Object.entries(map).filter(([k, v]) => keep(k, v));
  if (kept.length === Object.keys(map).length) return false;
  if (kept.length === 0) delete parent[key];
  else parent[key] = Object.fromEntries(kept);
  return true;
}
