// Conversion of a validated ServiceProfile into the DestinationProfile message that GetProfile
// streams to proxies, the way Linkerd's profile translator builds it.
//
// Contract: pure. Routes keep their order and get metricsLabels {route: name}; match fields set
// together become one `all`, in Linkerd's order (all, any, method, not, path; for responses all,
// any, status, not); a single-bound status range is sent with both bounds equal; path regexes are
// sent wrapped as `^(?:…)$` so a Linkerd proxy (which anchors by adding ^ and $ to the text)
// matches exactly what ours does; weights become decimillis; an authority without a port gets the
// requested port. A profile that did not come from parseServiceProfile and breaks a rule the wire
// needs (a duration, a weight) raises ProfileValidationError.

import {
  type DestinationProfile,
  type Duration,
  type HttpMethod,
  HttpMethod_Registered,
  type Metadata,
  type RequestMatch,
  type ResponseMatch,
  type RetryBudget,
  type Route,
  type WeightedDst,
  durationFromMillis,
} from '../api/index.ts';
import { parseDurationMs } from '../config/index.ts';
import { ProfileValidationError } from './profile-errors.ts';
import { parseAuthority, parseServiceName } from './profile-name.ts';
import {
  DEFAULT_RETRY_BUDGET,
  type RequestMatchSpec,
  type ResponseMatchSpec,
  type RetryBudgetSpec,
  type RouteSpec,
  type ServiceProfile,
} from './profile-types.ts';
import { WEIGHT_ALLOWED, parseWeight } from './profile-weight.ts';

/** The destination a profile is sent for. */
export interface ProfileTarget {
  /** The fully qualified name without a port, e.g. `web.shop.svc.cluster.local`. */
  readonly fqn: string;
  /** The port the proxy asked about; appended to dstOverrides authorities that have none. */
  readonly port: number;
  /** The cluster domain, e.g. `cluster.local`: names under it are Services (parentRef, backendRef). */
  readonly clusterDomain: string;
}

const REGISTERED_METHODS: Readonly<Record<string, HttpMethod_Registered>> = {
  GET: HttpMethod_Registered.GET,
  POST: HttpMethod_Registered.POST,
  PUT: HttpMethod_Registered.PUT,
  DELETE: HttpMethod_Registered.DELETE,
  PATCH: HttpMethod_Registered.PATCH,
  OPTIONS: HttpMethod_Registered.OPTIONS,
  CONNECT: HttpMethod_Registered.CONNECT,
  HEAD: HttpMethod_Registered.HEAD,
  TRACE: HttpMethod_Registered.TRACE,
};

/** The DestinationProfile for `profile`, as sent to a proxy asking about `target`. */
export function toDestinationProfile(profile: ServiceProfile, target: ProfileTarget): DestinationProfile {
  const fail = (path: string, problem: string, allowed: string): never => {
    throw new ProfileValidationError(profile.metadata.name, [{ path, problem, allowed }]);
  };
  const spec = profile.spec;
  const routes = (spec.routes ?? []).map((route, i) => toRoute(route, `spec.routes[${i}]`, fail));
  const dstOverrides = (spec.dstOverrides ?? []).map((dst, i): WeightedDst => {
    const weight = parseWeight(dst.weight);
    if (!weight.ok) return fail(`spec.dstOverrides[${i}].weight`, weight.reason, WEIGHT_ALLOWED);
    const authority = parseAuthority(dst.authority);
    const port = authority.ok ? (authority.value.port ?? target.port) : target.port;
    const backend =
      authority.ok && authority.value.clusterDomain === target.clusterDomain ? authority.value : undefined;
    return {
      authority: authority.ok && authority.value.port !== undefined ? dst.authority : `${dst.authority}:${target.port}`,
      weight: weight.decimillis,
      ...(backend === undefined
        ? {}
        : { backendRef: resource('core', 'Service', backend.service, backend.namespace, port) }),
    };
  });
  const parent = parseServiceName(target.fqn);
  const [group = ''] = profile.apiVersion.split('/');
  return {
    routes,
    retryBudget: toRetryBudget(spec.retryBudget, fail),
    dstOverrides,
    opaqueProtocol: isOpaquePort(spec.opaquePorts ?? [], target.port),
    fullyQualifiedName: target.fqn,
    ...(parent.ok && parent.value.clusterDomain === target.clusterDomain
      ? { parentRef: resource('core', 'Service', parent.value.service, parent.value.namespace, target.port) }
      : {}),
    profileRef: resource(group, profile.kind, profile.metadata.name, profile.metadata.namespace ?? '', 0),
    gatewayRoutes: [],
  };
}

/** The profile sent when a service has no ServiceProfile: no routes, the default retry budget. */
export function defaultDestinationProfile(fqn: string): DestinationProfile {
  return {
    routes: [],
    retryBudget: defaultRetryBudget(),
    dstOverrides: [],
    opaqueProtocol: false,
    fullyQualifiedName: fqn,
    gatewayRoutes: [],
  };
}

type Fail = (path: string, problem: string, allowed: string) => never;

function toRoute(route: RouteSpec, path: string, fail: Fail): Route {
  let timeout: Duration | undefined;
  if (route.timeout !== undefined) {
    const ms = parseDurationMs(route.timeout);
    if (ms === undefined || ms <= 0)
      fail(`${path}.timeout`, `${JSON.stringify(route.timeout)} is not a duration above 0`, 'a Go duration, e.g. 10s');
    else timeout = durationFromMillis(ms);
  }
  return {
    condition: toRequestMatch(route.condition),
    responseClasses: (route.responseClasses ?? []).map((rc) => ({
      condition: toResponseMatch(rc.condition),
      isFailure: rc.isFailure ?? false,
    })),
    metricsLabels: { route: route.name },
    isRetryable: route.isRetryable ?? false,
    ...(timeout === undefined ? {} : { timeout }),
  };
}

function toRequestMatch(m: RequestMatchSpec): RequestMatch {
  const parts: RequestMatch[] = [];
  if (m.all !== undefined) parts.push({ match: { $case: 'all', all: { matches: m.all.map(toRequestMatch) } } });
  if (m.any !== undefined) parts.push({ match: { $case: 'any', any: { matches: m.any.map(toRequestMatch) } } });
  if (m.method !== undefined) parts.push({ match: { $case: 'method', method: toHttpMethod(m.method) } });
  if (m.not !== undefined) parts.push({ match: { $case: 'not', not: toRequestMatch(m.not) } });
  if (m.pathRegex !== undefined)
    parts.push({ match: { $case: 'path', path: { regex: `^(?:${m.pathRegex.trim()})$` } } });
  return parts.length === 1 && parts[0] !== undefined ? parts[0] : { match: { $case: 'all', all: { matches: parts } } };
}

function toResponseMatch(m: ResponseMatchSpec): ResponseMatch {
  const parts: ResponseMatch[] = [];
  if (m.all !== undefined) parts.push({ match: { $case: 'all', all: { matches: m.all.map(toResponseMatch) } } });
  if (m.any !== undefined) parts.push({ match: { $case: 'any', any: { matches: m.any.map(toResponseMatch) } } });
  if (m.status !== undefined) {
    // A single bound matches exactly that code (Linkerd's documented meaning): send both.
    const min = m.status.min ?? m.status.max ?? 0;
    const max = m.status.max ?? m.status.min ?? 0;
    parts.push({ match: { $case: 'status', status: { min, max } } });
  }
  if (m.not !== undefined) parts.push({ match: { $case: 'not', not: toResponseMatch(m.not) } });
  return parts.length === 1 && parts[0] !== undefined ? parts[0] : { match: { $case: 'all', all: { matches: parts } } };
}

function toHttpMethod(method: string): HttpMethod {
  const registered = REGISTERED_METHODS[method];
  return registered === undefined
    ? { type: { $case: 'unregistered', unregistered: method } }
    : { type: { $case: 'registered', registered } };
}

function toRetryBudget(budget: RetryBudgetSpec | undefined, fail: Fail): RetryBudget {
  if (budget === undefined) return defaultRetryBudget();
  const ttlMs = parseDurationMs(budget.ttl);
  if (ttlMs === undefined)
    return fail(
      'spec.retryBudget.ttl',
      `${JSON.stringify(budget.ttl)} is not a duration`,
      'a Go duration from 1s to 60s',
    );
  return {
    retryRatio: budget.retryRatio,
    minRetriesPerSecond: budget.minRetriesPerSecond,
    ttl: durationFromMillis(ttlMs),
  };
}

function defaultRetryBudget(): RetryBudget {
  return {
    retryRatio: DEFAULT_RETRY_BUDGET.retryRatio,
    minRetriesPerSecond: DEFAULT_RETRY_BUDGET.minRetriesPerSecond,
    ttl: durationFromMillis(DEFAULT_RETRY_BUDGET.ttlMs),
  };
}

function isOpaquePort(ports: readonly string[], port: number): boolean {
  return ports.some((text) => {
    const [lo = Number.NaN, hi = lo] = text.trim().split('-').map(Number);
    return port >= lo && port <= hi;
  });
}

function resource(group: string, kind: string, name: string, namespace: string, port: number): Metadata {
  return { kind: { $case: 'resource', resource: { group, kind, name, namespace, section: '', port } } };
}
