// Test helper (never used by product code): the injector's config from the chart's values.yaml
// with the test trust anchors, and checks of patched Pods against the Kubernetes schemas —
// kubernetes-models' validate() plus a strict unknown-field check (validate() accepts unknown
// fields) of the containers and volumes the injector adds, from the model's type declarations.

import { readFile } from 'node:fs/promises';
import { Pod } from 'kubernetes-models/v1';
import { parseInjectorConfig, loadChartValues, type InjectorConfig } from './injector-config.ts';
import { mergeValues, type Values } from './values-merge.ts';
import { INIT_CONTAINER_NAME, INJECTED_VOLUMES, PROXY_CONTAINER_NAME } from './names.ts';
import { isObject, listAt, objectAt } from './pod-shape.ts';

export const FIXTURES = new URL('../../test/fixtures/injector/', import.meta.url);

export async function trustAnchorsPem(): Promise<string> {
  return readFile(new URL('trust-anchors.pem', FIXTURES), 'utf8');
}

/** The chart's values with the test trust anchors, control plane namespace `nodemesh`, and `overlay`. */
export async function testValues(overlay: Values = {}): Promise<Values> {
  const chart = await loadChartValues([]);
  const base = mergeValues(chart, {
    controlPlaneNamespace: 'nodemesh',
    identityTrustAnchorsPEM: await trustAnchorsPem(),
  });
  return mergeValues(base, overlay);
}

export async function testConfig(overlay: Values = {}): Promise<InjectorConfig> {
  return parseInjectorConfig(await testValues(overlay), { source: 'test' });
}

/** Throws when `pod` breaks the Pod schema, or when what the injector adds has unknown fields. */
export async function validatePod(pod: unknown): Promise<void> {
  new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate();
  const spec = objectAt(pod, 'spec');
  const problems: string[] = [];
  for (const list of ['containers', 'initContainers'] as const) {
    for (const [i, c] of (listAt(spec, list) ?? []).entries()) {
      const name = isObject(c) ? c['name'] : undefined;
      if (name === PROXY_CONTAINER_NAME || name === INIT_CONTAINER_NAME) {
        problems.push(...(await unknownFields(c, 'Container', `spec.${list}[${i}]`)));
      }
    }
  }
  for (const [i, v] of (listAt(spec, 'volumes') ?? []).entries()) {
    if (isObject(v) && typeof v['name'] === 'string' && INJECTED_VOLUMES.includes(v['name'])) {
      problems.push(...(await unknownFields(v, 'Volume', `spec.volumes[${i}]`)));
    }
  }
  if (problems.length > 0) throw new Error(`unknown fields: ${problems.join(', ')}`);
}

const MODELS = new URL('../../node_modules/kubernetes-models/v1/', import.meta.url);

interface Shape {
  /** Property name → the core/v1 type it holds (undefined: a leaf we do not descend into). */
  readonly properties: ReadonlyMap<string, { readonly type: string | undefined; readonly array: boolean }>;
}

const shapes = new Map<string, Promise<Shape>>();

/** The properties of core/v1 `type`, read from kubernetes-models' declaration file. */
function shapeOf(type: string): Promise<Shape> {
  let shape = shapes.get(type);
  if (shape === undefined) {
    shape = readFile(new URL(`${type}.d.ts`, MODELS), 'utf8').then((text) => {
      const imports = new Map<string, string>();
      for (const m of text.matchAll(/import \{ (IIoK8sApiCoreV1\w+) \} from "\.\/(\w+)\.js";/g)) {
        imports.set(m[1] ?? '', m[2] ?? '');
      }
      const body = text.slice(text.indexOf(`export interface I${type} {`));
      const block = body.slice(0, body.indexOf('\n}'));
      const properties = new Map<string, { type: string | undefined; array: boolean }>();
      for (const m of block.matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)) {
        const t = m[2] ?? '';
        const array = /^Array<(\w+)>;$/.exec(t);
        const plain = /^(\w+);$/.exec(t);
        const ref = array?.[1] ?? plain?.[1];
        properties.set(m[1] ?? '', { type: ref === undefined ? undefined : imports.get(ref), array: array !== null });
      }
      if (properties.size === 0) throw new Error(`no properties found for ${type}`);
      return { properties };
    });
    shapes.set(type, shape);
  }
  return shape;
}

async function unknownFields(value: unknown, type: string, at: string, depth = 0): Promise<string[]> {
  if (!isObject(value) || depth > 12) return [];
  const shape = await shapeOf(type);
  const out: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    const prop = shape.properties.get(key);
    if (prop === undefined) {
      out.push(`${at}.${key}`);
      continue;
    }
    if (prop.type === undefined) continue;
    const items = prop.array && Array.isArray(inner) ? inner : [inner];
    for (const [i, item] of items.entries()) {
      out.push(
        ...(await unknownFields(item, prop.type, prop.array ? `${at}.${key}[${i}]` : `${at}.${key}`, depth + 1)),
      );
    }
  }
  return out;
}
