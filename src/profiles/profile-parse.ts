// parseServiceProfile: validate a decoded ServiceProfile object (from YAML, JSON or the Kubernetes
// API) and return it cleaned and frozen, or throw one ProfileValidationError listing every problem.
//
// Contract: pure and synchronous; checks everything before throwing; the result holds only known
// fields (other ObjectMeta fields are accepted and dropped) and is deep-frozen. The rules are
// Linkerd's (pkg/profiles Validate plus the proxy's own limits) made strict where Linkerd would
// accept a profile that silently does nothing; ADR 0004 lists each decision.

import { parseDurationMs } from '../config/index.ts';
import { type ProfileSource, ProfileValidationError } from './profile-errors.ts';
import {
  type FieldPath,
  type Fields,
  type LineOf,
  ProblemCollector,
  checkKnownFields,
  describeValue,
  isMapping,
  isSet,
  readBoolean,
  readList,
  readMapping,
  readNumber,
  readString,
  requireField,
} from './profile-fields.ts';
import { AUTHORITY_ALLOWED, PROFILE_NAME_ALLOWED, parseAuthority, parseServiceName } from './profile-name.ts';
import { parseRequestMatch, parseResponseMatch } from './profile-parse-match.ts';
import {
  type ResponseClassSpec,
  type RetryBudgetSpec,
  type RouteSpec,
  SERVICE_PROFILE_API_VERSIONS,
  SERVICE_PROFILE_KIND,
  type ServiceProfile,
  type ServiceProfileApiVersion,
  type ServiceProfileMetadata,
  type ServiceProfileSpec,
  type WeightedDstSpec,
} from './profile-types.ts';
import { WEIGHT_ALLOWED, parseWeight } from './profile-weight.ts';

/** Where the object came from; `lineOf` gives each problem its own line (parseServiceProfilesYaml sets it). */
export interface ParseProfileSource extends ProfileSource {
  readonly lineOf?: LineOf;
}

const ROOT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec'];
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
const SPEC_FIELDS = ['routes', 'retryBudget', 'dstOverrides', 'opaquePorts'];
const ROUTE_FIELDS = ['name', 'condition', 'responseClasses', 'isRetryable', 'timeout'];
const RETRY_BUDGET_FIELDS = ['retryRatio', 'minRetriesPerSecond', 'ttl'];
const INT32_MAX = 2_147_483_647;

const ALLOWED = {
  root: 'a ServiceProfile object with apiVersion, kind, metadata and spec',
  apiVersion: SERVICE_PROFILE_API_VERSIONS.join(' or '),
  kind: SERVICE_PROFILE_KIND,
  metadata: 'an object with at least name',
  namespace: 'a namespace name: a DNS-1123 label (lower-case letters, digits and -)',
  stringMap: 'a mapping of string keys to string values',
  spec: 'an object with routes, retryBudget, dstOverrides and opaquePorts, all optional',
  routes: 'a list of routes, each {name, condition, responseClasses?, isRetryable?, timeout?}',
  route: 'a route {name, condition, responseClasses?, isRetryable?, timeout?}',
  routeName: 'a non-empty string (it becomes the route metric label)',
  responseClasses: 'a list of response classes, each {condition, isFailure?}',
  responseClass: 'a response class {condition, isFailure?}',
  timeout: 'a Go duration greater than 0, e.g. 300ms, 10s or 1m30s',
  retryBudget: 'an object with all three of retryRatio, minRetriesPerSecond and ttl',
  retryRatio: 'a number from 0 to 1000 (retries per original request, e.g. 0.2)',
  minRetriesPerSecond: `an integer from 0 to ${INT32_MAX}`,
  ttl: 'a Go duration from 1s to 60s, e.g. 10s',
  dstOverrides: 'a list of {authority, weight}',
  dstOverride: 'an object {authority, weight}',
  opaquePorts: 'a list of ports or port ranges as strings, e.g. "3306" or "4000-4100"',
  opaquePort:
    'a port or a port range from 1 to 65535 as a string, e.g. "3306" or "4000-4100" (quote numbers: the CRD declares strings)',
} as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Validate `obj` as a ServiceProfile; returns it frozen or throws ProfileValidationError. */
export function parseServiceProfile(obj: unknown, source: ParseProfileSource = {}): ServiceProfile {
  const c = new ProblemCollector(source.lineOf);
  const where: ProfileSource = {
    ...(source.file === undefined ? {} : { file: source.file }),
    ...(source.line === undefined ? {} : { line: source.line }),
  };
  const root = readMapping(c, obj, [], ALLOWED.root);
  if (root === undefined) throw new ProfileValidationError(undefined, c.problems, where);
  checkKnownFields(c, root, [], ROOT_FIELDS);

  const apiVersion = readString(c, root, 'apiVersion', [], ALLOWED.apiVersion);
  if (
    requireField(c, root, 'apiVersion', [], ALLOWED.apiVersion) &&
    apiVersion !== undefined &&
    !isApiVersion(apiVersion)
  ) {
    c.add(
      ['apiVersion'],
      `${JSON.stringify(apiVersion)} is not a ServiceProfile version this mesh reads`,
      ALLOWED.apiVersion,
    );
  }
  const kind = readString(c, root, 'kind', [], ALLOWED.kind);
  if (requireField(c, root, 'kind', [], ALLOWED.kind) && kind !== undefined && kind !== SERVICE_PROFILE_KIND) {
    c.add(['kind'], `${JSON.stringify(kind)} is not ${SERVICE_PROFILE_KIND}`, ALLOWED.kind);
  }
  const metadata = requireField(c, root, 'metadata', [], ALLOWED.metadata)
    ? parseMetadata(c, root['metadata'])
    : undefined;
  const spec = isSet(root, 'spec') ? parseSpec(c, root['spec']) : {};

  const rawName = isMapping(root['metadata']) ? root['metadata']['name'] : undefined;
  const name = typeof rawName === 'string' && rawName !== '' ? rawName : undefined;
  if (c.problems.length > 0 || metadata === undefined || spec === undefined) {
    throw new ProfileValidationError(name, c.problems, where);
  }
  return deepFreeze({
    apiVersion: apiVersion as ServiceProfileApiVersion,
    kind: SERVICE_PROFILE_KIND,
    metadata,
    spec,
  });
}

function isApiVersion(value: string): value is ServiceProfileApiVersion {
  return (SERVICE_PROFILE_API_VERSIONS as readonly string[]).includes(value);
}

function parseMetadata(c: ProblemCollector, value: unknown): ServiceProfileMetadata | undefined {
  const path = ['metadata'];
  const obj = readMapping(c, value, path, ALLOWED.metadata);
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, OBJECT_META_FIELDS);
  const out: Mutable<ServiceProfileMetadata> = { name: '' };
  const name = readString(c, obj, 'name', path, PROFILE_NAME_ALLOWED);
  if (requireField(c, obj, 'name', path, PROFILE_NAME_ALLOWED) && name !== undefined) {
    const parsed = parseServiceName(name);
    if (!parsed.ok) c.add([...path, 'name'], `${JSON.stringify(name)} ${parsed.reason}`, PROFILE_NAME_ALLOWED);
    out.name = name;
  }
  const namespace = readString(c, obj, 'namespace', path, ALLOWED.namespace);
  if (namespace !== undefined) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(namespace)) {
      c.add([...path, 'namespace'], `${JSON.stringify(namespace)} is not a DNS-1123 label`, ALLOWED.namespace);
    }
    out.namespace = namespace;
  }
  for (const key of ['labels', 'annotations'] as const) {
    const map = readStringMap(c, obj, key, path);
    if (map !== undefined) out[key] = map;
  }
  for (const key of ['resourceVersion', 'uid'] as const) {
    const text = readString(c, obj, key, path, 'a string');
    if (text !== undefined) out[key] = text;
  }
  const generation = readNumber(c, obj, 'generation', path, 'an integer');
  if (generation !== undefined) out.generation = generation;
  return out;
}

function readStringMap(
  c: ProblemCollector,
  obj: Fields,
  key: string,
  path: FieldPath,
): Record<string, string> | undefined {
  if (!isSet(obj, key)) return undefined;
  const map = readMapping(c, obj[key], [...path, key], ALLOWED.stringMap);
  if (map === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) {
    if (typeof v === 'string') out[k] = v;
    else c.add([...path, key, k], `must be a string, got ${describeValue(v)} (quote it)`, ALLOWED.stringMap);
  }
  return out;
}

function parseSpec(c: ProblemCollector, value: unknown): ServiceProfileSpec | undefined {
  const path = ['spec'];
  const obj = readMapping(c, value, path, ALLOWED.spec);
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, SPEC_FIELDS);
  const out: Mutable<ServiceProfileSpec> = {};
  const routes = readList(c, obj, 'routes', path, ALLOWED.routes);
  if (routes !== undefined) out.routes = collect(routes, (r, i) => parseRoute(c, r, [...path, 'routes', i]));
  if (isSet(obj, 'retryBudget')) {
    const budget = parseRetryBudget(c, obj['retryBudget'], [...path, 'retryBudget']);
    if (budget !== undefined) out.retryBudget = budget;
  }
  const overrides = readList(c, obj, 'dstOverrides', path, ALLOWED.dstOverrides);
  if (overrides !== undefined) out.dstOverrides = parseDstOverrides(c, overrides, [...path, 'dstOverrides']);
  const ports = readList(c, obj, 'opaquePorts', path, ALLOWED.opaquePorts);
  if (ports !== undefined)
    out.opaquePorts = collect(ports, (p, i) => parseOpaquePort(c, p, [...path, 'opaquePorts', i]));
  return out;
}

function parseRoute(c: ProblemCollector, value: unknown, path: FieldPath): RouteSpec | undefined {
  const obj = readMapping(c, value, path, ALLOWED.route);
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, ROUTE_FIELDS);
  const name = readString(c, obj, 'name', path, ALLOWED.routeName);
  if (requireField(c, obj, 'name', path, ALLOWED.routeName) && name === '')
    c.add([...path, 'name'], 'is empty', ALLOWED.routeName);
  const condition = requireField(
    c,
    obj,
    'condition',
    path,
    'a request match, e.g. {method: GET, pathRegex: /books/[^/]+}',
  )
    ? parseRequestMatch(c, obj['condition'], [...path, 'condition'])
    : undefined;
  const out: Mutable<RouteSpec> = { name: name ?? '', condition: condition ?? {} };
  const classes = readList(c, obj, 'responseClasses', path, ALLOWED.responseClasses);
  if (classes !== undefined) {
    out.responseClasses = collect(classes, (rc, i) => parseResponseClass(c, rc, [...path, 'responseClasses', i]));
  }
  const isRetryable = readBoolean(c, obj, 'isRetryable', path);
  if (isRetryable !== undefined) out.isRetryable = isRetryable;
  const timeout = readString(c, obj, 'timeout', path, ALLOWED.timeout);
  if (timeout !== undefined) {
    const ms = parseDurationMs(timeout);
    if (ms === undefined || ms <= 0) {
      const why = ms === undefined ? 'is not a Go duration' : 'is not greater than 0';
      c.add([...path, 'timeout'], `${JSON.stringify(timeout)} ${why}`, ALLOWED.timeout);
    }
    out.timeout = timeout;
  }
  return out;
}

function parseResponseClass(c: ProblemCollector, value: unknown, path: FieldPath): ResponseClassSpec | undefined {
  const obj = readMapping(c, value, path, ALLOWED.responseClass);
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, ['condition', 'isFailure']);
  const condition = requireField(c, obj, 'condition', path, 'a response match, e.g. {status: {min: 500, max: 599}}')
    ? parseResponseMatch(c, obj['condition'], [...path, 'condition'])
    : undefined;
  const isFailure = readBoolean(c, obj, 'isFailure', path);
  return { condition: condition ?? {}, ...(isFailure === undefined ? {} : { isFailure }) };
}

function parseRetryBudget(c: ProblemCollector, value: unknown, path: FieldPath): RetryBudgetSpec | undefined {
  const obj = readMapping(c, value, path, ALLOWED.retryBudget);
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, RETRY_BUDGET_FIELDS);
  const hint = ' (when retryBudget is set, all three fields are required)';
  const ratio = readNumber(c, obj, 'retryRatio', path, ALLOWED.retryRatio);
  if (
    requireField(c, obj, 'retryRatio', path, ALLOWED.retryRatio + hint) &&
    ratio !== undefined &&
    !(ratio >= 0 && ratio <= 1000)
  ) {
    c.add([...path, 'retryRatio'], `${ratio} is outside 0-1000`, ALLOWED.retryRatio);
  }
  const minRetries = readNumber(c, obj, 'minRetriesPerSecond', path, ALLOWED.minRetriesPerSecond);
  if (
    requireField(c, obj, 'minRetriesPerSecond', path, ALLOWED.minRetriesPerSecond + hint) &&
    minRetries !== undefined &&
    !(Number.isInteger(minRetries) && minRetries >= 0 && minRetries <= INT32_MAX)
  ) {
    c.add(
      [...path, 'minRetriesPerSecond'],
      `${minRetries} is not an integer from 0 to ${INT32_MAX}`,
      ALLOWED.minRetriesPerSecond,
    );
  }
  const ttl = readString(c, obj, 'ttl', path, ALLOWED.ttl);
  if (requireField(c, obj, 'ttl', path, ALLOWED.ttl + hint) && ttl !== undefined) {
    const ms = parseDurationMs(ttl);
    if (ms === undefined) c.add([...path, 'ttl'], `${JSON.stringify(ttl)} is not a Go duration`, ALLOWED.ttl);
    else if (ms < 1000 || ms > 60_000) c.add([...path, 'ttl'], `${JSON.stringify(ttl)} is outside 1s-60s`, ALLOWED.ttl);
  }
  return { retryRatio: ratio ?? 0, minRetriesPerSecond: minRetries ?? 0, ttl: ttl ?? '' };
}

function parseDstOverrides(c: ProblemCollector, items: readonly unknown[], path: FieldPath): WeightedDstSpec[] {
  let total = 0;
  let allWeightsValid = true;
  const out = collect(items, (item, i) => {
    const itemPath = [...path, i];
    const obj = readMapping(c, item, itemPath, ALLOWED.dstOverride);
    if (obj === undefined) return undefined;
    checkKnownFields(c, obj, itemPath, ['authority', 'weight']);
    const authority = readString(c, obj, 'authority', itemPath, AUTHORITY_ALLOWED);
    if (requireField(c, obj, 'authority', itemPath, AUTHORITY_ALLOWED) && authority !== undefined) {
      const parsed = parseAuthority(authority);
      if (!parsed.ok)
        c.add([...itemPath, 'authority'], `${JSON.stringify(authority)} ${parsed.reason}`, AUTHORITY_ALLOWED);
    }
    const raw = obj['weight'];
    let weight: number | string | undefined;
    allWeightsValid &&= requireField(c, obj, 'weight', itemPath, WEIGHT_ALLOWED);
    if (typeof raw === 'number' || typeof raw === 'string') {
      const parsed = parseWeight(raw);
      if (parsed.ok) total += parsed.decimillis;
      else c.add([...itemPath, 'weight'], parsed.reason, WEIGHT_ALLOWED);
      allWeightsValid &&= parsed.ok;
      weight = raw;
    } else if (isSet(obj, 'weight')) {
      c.add(
        [...itemPath, 'weight'],
        `must be a number or a quantity string, got ${describeValue(raw)}`,
        WEIGHT_ALLOWED,
      );
      allWeightsValid = false;
    }
    return { authority: authority ?? '', weight: weight ?? 0 };
  });
  if (items.length > 0 && allWeightsValid && total === 0) {
    c.add(
      path,
      'gives every backend weight 0, so no request could be sent',
      'at least one weight above 0 (or no dstOverrides to send everything to the service itself)',
    );
  }
  return out;
}

function parseOpaquePort(c: ProblemCollector, value: unknown, path: FieldPath): string | undefined {
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' ? ' (quote it)' : '';
    c.add(path, `must be a string, got ${describeValue(value)}${hint}`, ALLOWED.opaquePort);
    return undefined;
  }
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value.trim());
  const lo = Number(match?.[1]);
  const hi = match?.[2] === undefined ? lo : Number(match[2]);
  if (match === null || lo < 1 || hi > 65_535 || hi < lo) {
    c.add(path, `${JSON.stringify(value)} is not a port or a port range`, ALLOWED.opaquePort);
  }
  return value;
}

function collect<T>(items: readonly unknown[], parse: (item: unknown, index: number) => T | undefined): T[] {
  const out: T[] = [];
  items.forEach((item, i) => {
    const parsed = parse(item, i);
    if (parsed !== undefined) out.push(parsed);
  });
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
