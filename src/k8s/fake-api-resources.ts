// The fake API server's map of resources: which kinds it serves, how request paths name them, and
// how an object finds its resource. Also the label and field selectors it understands.
//
// Contract: pure functions over plain data. A request path is one of
//   /api/v1/{plural}[/{name}]                               (cluster-wide list, or a cluster-scoped object)
//   /api/v1/namespaces/{ns}/{plural}[/{name}]               (namespaced)
//   /apis/{group}/{version}/{plural}[/{name}]
//   /apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]
// and `/api/v1/namespaces/{name}` is the Namespace object itself; `/apis/{group}/{version}` is
// the group version's discovery document.

/** A kind of object the fake server serves. */
export interface FakeResource {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** The lower-case plural in paths, e.g. `endpointslices`. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** The resources every fake server knows; more can be added with `registerResource`. */
export const BUILTIN_RESOURCES: readonly FakeResource[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', plural: 'endpoints', kind: 'Endpoints', namespaced: true },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  { group: 'nodemesh.io', version: 'v1alpha2', plural: 'serviceprofiles', kind: 'ServiceProfile', namespaced: true },
  { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', kind: 'HTTPRoute', namespaced: true },
  { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'grpcroutes', kind: 'GRPCRoute', namespaced: true },
];

/** `v1` for the core group, `group/version` otherwise. */
export function apiVersionOf(resource: FakeResource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** A stable key for a resource: `group/version/plural`. */
export function resourceKey(resource: Pick<FakeResource, 'group' | 'version' | 'plural'>): string {
  return `${resource.group}/${resource.version}/${resource.plural}`;
}

/** The collection path of a resource, in one namespace or across all of them. */
export function collectionPath(resource: FakeResource, namespace?: string): string {
  const base = resource.group === '' ? '/api/v1' : `/apis/${resource.group}/${resource.version}`;
  return namespace === undefined ? `${base}/${resource.plural}` : `${base}/namespaces/${namespace}/${resource.plural}`;
}

/** What a request path names. */
export interface ResourcePath {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** Set for a namespaced path; undefined means every namespace (or a cluster-scoped resource). */
  readonly namespace: string | undefined;
  /** Set when the path names one object. */
  readonly name: string | undefined;
}

/** Parses a request path (no query), or returns undefined when it names no resource collection. */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p.length > 0)
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    [group, version, rest] = ['', 'v1', parts.slice(2)];
  } else if (parts[0] === 'apis' && parts[1] !== undefined && parts[2] !== undefined) {
    [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  } else {
    return undefined;
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const [, namespace, plural, name, extra] = rest;
    if (plural === undefined || extra !== undefined) return undefined;
    return { group, version, plural, namespace, name };
  }
  const [plural, name, extra] = rest;
  if (plural === undefined || extra !== undefined) return undefined;
  return { group, version, plural, namespace: undefined, name };
}

/** The group and version a discovery path (`/apis/{group}/{version}`) names, or undefined. */
export function parseDiscoveryPath(pathname: string): { group: string; version: string } | undefined {
  const match = /^\/apis\/([^/]+)\/([^/]+)\/?$/.exec(pathname);
  return match?.[1] === undefined || match[2] === undefined ? undefined : { group: match[1], version: match[2] };
}

/**
 * The discovery document of one group version (what `GET /apis/{group}/{version}` answers): an
 * APIResourceList of the resources served there, or undefined when none is (the server says 404,
 * as kube-apiserver does for a group whose CRDs are not installed).
 */
export function discoveryDocument(
  resources: readonly FakeResource[],
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const byPlural = new Map<string, FakeResource>();
  for (const r of resources) if (r.group === group && r.version === version) byPlural.set(r.plural, r);
  if (group === '' || byPlural.size === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${group}/${version}`,
    resources: [...byPlural.values()].map((r) => ({
      name: r.plural,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    })),
  };
}

/** The group and version of an `apiVersion` string (`v1` → core). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** One requirement of a label selector. */
type LabelRequirement =
  | { readonly op: 'eq' | 'ne'; readonly key: string; readonly value: string }
  | { readonly op: 'exists' | 'absent'; readonly key: string };

/** A compiled selector: true when an object's labels (or fields) match. */
export type Selector = (labels: Readonly<Record<string, string>>) => boolean;

/**
 * Compiles an equality-based selector (`a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated; the
 * form `kubectl -l` and informers use). Set-based selectors (`in`, `notin`) are refused with an
 * Error, which the server answers with 400.
 */
export function compileSelector(text: string | null, allowedKeys?: readonly string[]): Selector {
  if (text === null || text.trim() === '') return () => true;
  const requirements = text.split(',').map((raw): LabelRequirement => {
    const term = raw.trim();
    if (/\s(in|notin)\s/.test(term) || term.includes('(')) {
      throw new Error(`set-based selector ${JSON.stringify(term)} is not supported by the fake API server`);
    }
    const ne = term.indexOf('!=');
    if (ne > 0) return { op: 'ne', key: term.slice(0, ne), value: term.slice(ne + 2) };
    const eq = term.indexOf('=');
    if (eq > 0) return { op: 'eq', key: term.slice(0, eq), value: term.slice(term[eq + 1] === '=' ? eq + 2 : eq + 1) };
    if (term.startsWith('!') && term.length > 1) return { op: 'absent', key: term.slice(1) };
    if (term.length > 0 && !/[=!]/.test(term)) return { op: 'exists', key: term };
    throw new Error(`selector term ${JSON.stringify(term)} is not understood`);
  });
  const unknown = requirements.find((r) => allowedKeys !== undefined && !allowedKeys.includes(r.key));
  if (unknown !== undefined) {
    throw new Error(`field ${JSON.stringify(unknown.key)} is not supported (only ${allowedKeys?.join(', ')})`);
  }
  return (labels) =>
    requirements.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      switch (r.op) {
        case 'eq':
          return has && labels[r.key] === r.value;
        case 'ne':
          return !has || labels[r.key] !== r.value;
        case 'exists':
          return has;
        case 'absent':
          return !has;
      }
    });
}

/** The fields a field selector may name (those the real API server supports for every kind). */
export const SELECTABLE_FIELDS: readonly string[] = ['metadata.name', 'metadata.namespace'];

/** The values of SELECTABLE_FIELDS for an object. */
export function selectableFields(object: FakeObject): Record<string, string> {
  return {
    'metadata.name': object.metadata.name,
    'metadata.namespace': object.metadata.namespace ?? '',
  };
}

/** The least a stored object has. */
export interface FakeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}
