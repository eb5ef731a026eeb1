// parseRoute: validate a decoded HTTPRoute or GRPCRoute (`gateway.networking.k8s.io/v1`, from the
// Kubernetes API, an AdmissionReview, JSON or YAML) and return it as the frozen model, or every
// problem with it.
//
// Contract: pure and synchronous; never throws for bad input. `ok: false` carries one
// RouteValidationError listing every problem (what the CRD's OpenAPI and CEL rules refuse, plus
// regular expressions nodemesh cannot run the way RE2 would). `ok: true` carries the route with
// defaults applied and `unsupported`: valid fields nodemesh does not implement (URLRewrite, retry…)
// for which a controller sets Accepted=False with reason UnsupportedValue. Only known fields are
// kept; the status stanza is ignored.

import { type RouteProblem, type RouteSource, RouteValidationError } from './route-errors.ts';
import {
  type LineOf,
  ProblemCollector,
  checkKnownFields,
  checkText,
  deepFreeze,
  isMapping,
  isSet,
  readInteger,
  readMapping,
  readString,
  requireField,
} from './route-fields.ts';
import { OBJECT_NAME_PATTERN } from './route-limits.ts';
import { parseHostnames, parseParentRefs, readNamespace } from './route-parse-common.ts';
import { parseGrpcRules } from './route-parse-grpc.ts';
import { parseHttpRules } from './route-parse-http.ts';
import {
  GATEWAY_API_GROUP,
  ROUTE_API_VERSION,
  ROUTE_KINDS,
  type Route,
  type RouteKind,
  type RouteMetadata,
} from './route-types.ts';

export interface ParseRouteOptions extends RouteSource {
  /** The namespace of an object without one (a file applied with `kubectl apply -n`); `default`. */
  readonly defaultNamespace?: string;
  /** Gives each problem its line (parseRoutesYaml sets it). */
  readonly lineOf?: LineOf;
}

export type RouteParseResult =
  | { readonly ok: true; readonly route: Route; readonly unsupported: readonly RouteProblem[] }
  | { readonly ok: false; readonly error: RouteValidationError };

const ROOT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];
const SPEC_FIELDS = ['parentRefs', 'hostnames', 'rules'];
const ALLOWED_ROOT = {
  root: 'an HTTPRoute or GRPCRoute object with apiVersion, kind, metadata and spec',
  apiVersion: `${ROUTE_API_VERSION} (the v1 routes; convert older versions with kubectl convert)`,
  kind: ROUTE_KINDS.join(' or '),
  metadata: 'an object with at least name',
  name: 'a DNS subdomain: lower-case letters, digits, - and ., at most 253 characters',
  timestamp: 'an RFC 3339 time such as 2024-05-01T10:00:00Z',
  stringMap: 'a mapping of string keys to string values',
  spec: 'an object with parentRefs, hostnames and rules',
} as const;

/** Validate `obj` as an HTTPRoute or GRPCRoute. */
export function parseRoute(obj: unknown, options: ParseRouteOptions = {}): RouteParseResult {
  const c = new ProblemCollector(options.lineOf);
  const source: RouteSource = {
    ...(options.file === undefined ? {} : { file: options.file }),
    ...(options.line === undefined ? {} : { line: options.line }),
  };
  const root = readMapping(c, obj, [], ALLOWED_ROOT.root);
  if (root === undefined) return { ok: false, error: new RouteValidationError({}, c.problems, source) };
  checkKnownFields(c, root, [], ROOT_FIELDS);

  const apiVersion = readString(c, root, 'apiVersion', [], ALLOWED_ROOT.apiVersion);
  if (
    requireField(c, root, 'apiVersion', [], ALLOWED_ROOT.apiVersion) &&
    apiVersion !== undefined &&
    apiVersion !== ROUTE_API_VERSION
  ) {
    const why = apiVersion.startsWith(`${GATEWAY_API_GROUP}/`)
      ? 'is not the v1 version nodemesh reads'
      : 'is not the Gateway API group';
    c.add(['apiVersion'], why, ALLOWED_ROOT.apiVersion, apiVersion);
  }
  const rawKind = readString(c, root, 'kind', [], ALLOWED_ROOT.kind);
  const kind = (ROUTE_KINDS as readonly string[]).includes(rawKind ?? '') ? (rawKind as RouteKind) : undefined;
  if (requireField(c, root, 'kind', [], ALLOWED_ROOT.kind) && rawKind !== undefined && kind === undefined) {
    c.add(['kind'], 'is not a route kind nodemesh reads', ALLOWED_ROOT.kind, rawKind);
  }
  const metadata = requireField(c, root, 'metadata', [], ALLOWED_ROOT.metadata)
    ? parseMetadata(c, root['metadata'], options.defaultNamespace ?? 'default')
    : undefined;
  const namespace = metadata?.namespace ?? options.defaultNamespace ?? 'default';
  const spec = requireField(c, root, 'spec', [], ALLOWED_ROOT.spec)
    ? readMapping(c, root['spec'], ['spec'], ALLOWED_ROOT.spec)
    : undefined;
  let route: Route | undefined;
  if (spec !== undefined) {
    checkKnownFields(c, spec, ['spec'], SPEC_FIELDS);
    const parentRefs = parseParentRefs(c, spec, namespace);
    const hostnames = parseHostnames(c, spec);
    if (kind !== undefined && metadata !== undefined && apiVersion !== undefined) {
      const base = { apiVersion, metadata, parentRefs, hostnames };
      route =
        kind === 'HTTPRoute'
          ? { ...base, kind, rules: parseHttpRules(c, spec, namespace) }
          : { ...base, kind, rules: parseGrpcRules(c, spec, namespace) };
    }
  }

  if (c.problems.length > 0 || route === undefined) {
    const name = metadata?.name === undefined || metadata.name === '' ? undefined : `${namespace}/${metadata.name}`;
    const what = { ...(rawKind === undefined ? {} : { kind: rawKind }), ...(name === undefined ? {} : { name }) };
    return { ok: false, error: new RouteValidationError(what, c.problems, source) };
  }
  return { ok: true, route: deepFreeze(route), unsupported: Object.freeze(c.unsupported.map((p) => Object.freeze(p))) };
}

function parseMetadata(c: ProblemCollector, value: unknown, defaultNamespace: string): RouteMetadata | undefined {
  const path = ['metadata'];
  const obj = readMapping(c, value, path, ALLOWED_ROOT.metadata);
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, OBJECT_META_FIELDS);
  const out: { -readonly [K in keyof RouteMetadata]: RouteMetadata[K] } = { name: '', namespace: defaultNamespace };
  const name = readString(c, obj, 'name', path, ALLOWED_ROOT.name);
  if (requireField(c, obj, 'name', path, ALLOWED_ROOT.name) && name !== undefined) {
    checkText(c, [...path, 'name'], name, { pattern: OBJECT_NAME_PATTERN, max: 253, allowed: ALLOWED_ROOT.name });
    out.name = name;
  }
  const namespace = readNamespace(c, obj, path);
  if (namespace !== undefined) out.namespace = namespace;
  const created = readString(c, obj, 'creationTimestamp', path, ALLOWED_ROOT.timestamp);
  if (created !== undefined) {
    if (Number.isNaN(Date.parse(created)))
      c.add([...path, 'creationTimestamp'], 'is not a time', ALLOWED_ROOT.timestamp, created);
    else out.creationTimestamp = created;
  }
  for (const key of ['uid', 'resourceVersion'] as const) {
    const text = readString(c, obj, key, path, 'a string');
    if (text !== undefined) out[key] = text;
  }
  const generation = readInteger(c, obj, 'generation', path, { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (generation !== undefined) out.generation = generation;
  for (const key of ['labels', 'annotations'] as const) {
    if (!isSet(obj, key)) continue;
    const map = readMapping(c, obj[key], [...path, key], ALLOWED_ROOT.stringMap);
    if (map === undefined) continue;
    const entries = Object.entries(map).filter(([k, v]) => {
      if (typeof v !== 'string') c.add([...path, key, k], 'must be a string (quote it)', ALLOWED_ROOT.stringMap, v);
      return typeof v === 'string';
    });
    out[key] = Object.fromEntries(entries) as Record<string, string>;
  }
  return out;
}

/** `namespace/name` of a route, for logs, status and tie-breaks. */
export function routeKey(route: Route): string {
  return `${route.metadata.namespace}/${route.metadata.name}`;
}

/** True when `value` looks like a route (an object of a route kind), before validation. */
export function isRouteObject(value: unknown): boolean {
  return isMapping(value) && (ROUTE_KINDS as readonly unknown[]).includes(value['kind']);
}
