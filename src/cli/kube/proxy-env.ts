// What a pod spec says about its proxy's settings, read from the proxy container's `env` as the
// kubelet would resolve it (pure): plain values, `fieldRef`s to the pod's own fields, and
// `$(VAR)` references to variables defined earlier in the list. The injector builds the proxy's
// identity that way (controller/injector/containers.ts, names.ts, which src/ may not import):
// `NODEMESH_PROXY_IDENTITY_LOCAL_NAME=$(_pod_sa).$(_pod_ns).serviceaccount.identity.<cp-ns>.<trust-domain>`
// with `_pod_sa` ← spec.serviceAccountName and `_pod_ns` ← metadata.namespace.
//
// Contract: a variable whose value cannot be known from the pod object (a secretKeyRef, a
// reference to an undefined variable) resolves to undefined, never to a guess.

export const IDENTITY_LOCAL_NAME_ENV = 'NODEMESH_PROXY_IDENTITY_LOCAL_NAME';
export const IDENTITY_DISABLED_ENV = 'NODEMESH_PROXY_IDENTITY_DISABLED';
export const CONTROL_LISTEN_ADDR_ENV = 'NODEMESH_PROXY_CONTROL_LISTEN_ADDR';

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** The pod fields a `fieldRef` may name, as the kubelet fills them. */
function fieldOf(pod: Json, fieldPath: string): string | undefined {
  const metadata = obj(pod['metadata']);
  const spec = obj(pod['spec']);
  const status = obj(pod['status']);
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  switch (fieldPath) {
    case 'metadata.name':
      return text(metadata['name']);
    case 'metadata.namespace':
      return text(metadata['namespace']) ?? 'default';
    case 'metadata.uid':
      return text(metadata['uid']);
    case 'spec.serviceAccountName':
      // The ServiceAccount admission plugin sets `default` when the pod names none.
      return text(spec['serviceAccountName']) ?? text(spec['serviceAccount']) ?? 'default';
    case 'spec.nodeName':
      return text(spec['nodeName']);
    case 'status.podIP':
      return text(status['podIP']);
    case 'status.hostIP':
      return text(status['hostIP']);
    default: {
      const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
      if (label?.[1] === undefined || label[2] === undefined) return undefined;
      return text(obj(metadata[label[1]])[label[2]]);
    }
  }
}

/** Expands `$(NAME)` (and `$$` → `$`) as the kubelet does; undefined when a reference is unknown. */
export function expandEnvReferences(value: string, known: ReadonlyMap<string, string | undefined>): string | undefined {
  let unknown = false;
  const expanded = value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    if (!known.has(name)) return match; // the kubelet leaves references to undefined variables as written
    const v = known.get(name);
    if (v === undefined) unknown = true;
    return v ?? '';
  });
  if (unknown || /\$\([A-Za-z_][A-Za-z0-9_.-]*\)/.test(expanded)) return undefined;
  return expanded;
}

/** The container's environment as the process would see it; undefined values could not be known. */
export function containerEnv(pod: unknown, container: unknown): ReadonlyMap<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  const list = obj(container)['env'];
  if (!Array.isArray(list)) return env;
  for (const item of list.map(obj)) {
    const name = item['name'];
    if (typeof name !== 'string') continue;
    const value = item['value'];
    if (typeof value === 'string') {
      env.set(name, expandEnvReferences(value, env));
      continue;
    }
    const fieldPath = obj(obj(item['valueFrom'])['fieldRef'])['fieldPath'];
    env.set(name, typeof fieldPath === 'string' ? fieldOf(obj(pod), fieldPath) : undefined);
  }
  return env;
}

/** The identity the proxy serves under, or undefined (identity disabled, or not known from the spec). */
export function proxyIdentityOf(env: ReadonlyMap<string, string | undefined>): string | undefined {
  if (env.get(IDENTITY_DISABLED_ENV) === 'true') return undefined;
  const name = env.get(IDENTITY_LOCAL_NAME_ENV);
  return name === undefined || name === '' ? undefined : name;
}

/** The port of the proxy's control listener (tap) from its listen address, or undefined. */
export function controlPortOf(env: ReadonlyMap<string, string | undefined>): number | undefined {
  const addr = env.get(CONTROL_LISTEN_ADDR_ENV);
  if (addr === undefined) return undefined;
  const match = /:(\d{1,5})$/.exec(addr);
  const port = match?.[1] === undefined ? NaN : Number(match[1]);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}
