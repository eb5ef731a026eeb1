// Reading the parts of a Pod (or pod template) the injector needs, defensively: the object comes
// from JSON or YAML and is only known to be an object. Nothing here changes its input.

export type JsonObject = Readonly<Record<string, unknown>>;

export interface ContainerPortInfo {
  readonly containerPort: number;
  readonly name: string | undefined;
  readonly protocol: string;
}

export interface OwnerReference {
  readonly kind: string;
  readonly name: string;
  readonly controller: boolean;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectAt(parent: unknown, key: string): JsonObject | undefined {
  if (!isObject(parent)) return undefined;
  const value = parent[key];
  return isObject(value) ? value : undefined;
}

export function listAt(parent: unknown, key: string): readonly unknown[] | undefined {
  if (!isObject(parent)) return undefined;
  const value = parent[key];
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

/** A string-to-string map (labels, annotations); non-string values are shown as text. */
export function stringMap(value: unknown): Readonly<Record<string, string>> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

export function labelsOf(obj: unknown): Readonly<Record<string, string>> {
  return stringMap(objectAt(obj, 'metadata')?.['labels']);
}

export function annotationsOf(obj: unknown): Readonly<Record<string, string>> {
  return stringMap(objectAt(obj, 'metadata')?.['annotations']);
}

export function containerNames(pod: unknown, list: 'containers' | 'initContainers'): string[] {
  return (listAt(objectAt(pod, 'spec'), list) ?? []).map((c) =>
    isObject(c) && typeof c['name'] === 'string' ? c['name'] : '',
  );
}

/** The ports of the pod's (app) containers, in order. */
export function containerPorts(pod: unknown): ContainerPortInfo[] {
  const out: ContainerPortInfo[] = [];
  for (const container of listAt(objectAt(pod, 'spec'), 'containers') ?? []) {
    for (const port of listAt(container, 'ports') ?? []) {
      if (!isObject(port) || typeof port['containerPort'] !== 'number') continue;
      out.push({
        containerPort: port['containerPort'],
        name: typeof port['name'] === 'string' ? port['name'] : undefined,
        protocol: typeof port['protocol'] === 'string' ? port['protocol'] : 'TCP',
      });
    }
  }
  return out;
}

export function ownerReferences(pod: unknown): OwnerReference[] {
  return (listAt(objectAt(pod, 'metadata'), 'ownerReferences') ?? []).flatMap((ref) =>
    isObject(ref) && typeof ref['kind'] === 'string' && typeof ref['name'] === 'string'
      ? [{ kind: ref['kind'], name: ref['name'], controller: ref['controller'] === true }]
      : [],
  );
}

/** `name`, or `generateName*` for a pod the API server has not named yet. */
export function displayName(obj: unknown): string {
  const meta = objectAt(obj, 'metadata');
  if (typeof meta?.['name'] === 'string' && meta['name'] !== '') return meta['name'];
  if (typeof meta?.['generateName'] === 'string') return `${meta['generateName']}*`;
  return '(unnamed)';
}
