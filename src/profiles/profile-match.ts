// Proxy-side use of a DestinationProfile: pick the route of a request and classify a response.
//
// Contract: `compileProfile` runs once per profile update (regexes are compiled there, never per
// request); `matchRoute` and `classify` run per request, allocate at most one string (the path
// without its query) and never throw. Like Linkerd's proxy, parts of a profile that cannot be used
// are left out and listed in `skipped` for the caller to log: a route whose condition does not
// compile (the whole route, since dropping part of an `all` would widen it), a response class
// whose condition does not compile, an invalid retry budget (retries are then off), a negative
// timeout. Weight-0 overrides are dropped from `backends` (they get no traffic).
//
// Classification (reference §2.2, §4.7): the first response class of the route whose condition
// matches decides; otherwise a gRPC status, when the response has one, is a failure if it is one
// of DATA_LOSS, DEADLINE_EXCEEDED, INTERNAL, PERMISSION_DENIED, UNAVAILABLE, UNKNOWN; otherwise an
// HTTP status from 500 to 599 is a failure. Everything else is a success.

import {
  type DestinationProfile,
  type HttpMethod,
  HttpMethod_Registered,
  type RequestMatch,
  type ResponseMatch,
  type Route,
  millisFromDuration,
} from '../api/index.ts';
import { InternalError } from '../errors/index.ts';
import { compilePathRegex } from './profile-path-regex.ts';

export type ResponseClassification = 'success' | 'failure';

/** What route matching needs from a request. */
export interface RequestInfo {
  readonly method: string;
  /** The request target: a path, optionally with a query string (ignored), or an absolute URI. */
  readonly path: string;
}

/** What classification needs from a response. */
export interface ResponseInfo {
  readonly status: number;
  /** The grpc-status (from trailers or a trailers-only response), when the response has one. */
  readonly grpcStatus?: number | undefined;
}

/** gRPC status codes that count as failures when no response class matches. */
export const GRPC_FAILURE_STATUS_CODES = Object.freeze({
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
});
const GRPC_FAILURES: ReadonlySet<number> = new Set(Object.values(GRPC_FAILURE_STATUS_CODES));

/** A usable retry budget (TpsBudget parameters). */
export interface CompiledRetryBudget {
  readonly retryRatio: number;
  readonly minRetriesPerSecond: number;
  readonly ttlMs: number;
}

/** A part of the profile that was left out, and why. */
export interface SkippedPart {
  /** e.g. `routes[2]`, `routes[0].responseClasses[1]`, `retryBudget`. */
  readonly path: string;
  readonly reason: string;
}

type RequestMatcher = (method: string, path: string) => boolean;
type StatusMatcher = (status: number) => boolean;
interface ResponseClassMatcher {
  readonly matches: StatusMatcher;
  readonly isFailure: boolean;
}

/** One usable route of a profile. */
export interface CompiledRoute {
  /** metricsLabels.route, or '' when the control plane sent none. */
  readonly name: string;
  readonly metricsLabels: Readonly<Record<string, string>>;
  /** The route allows retries; they happen only when the profile also has a retryBudget. */
  readonly isRetryable: boolean;
  /** Total time for the request including retries; undefined means none. */
  readonly timeoutMs: number | undefined;
  /** True when the route's condition holds (`path` without the query string). */
  matches(method: string, path: string): boolean;
  /** This route's response classes, then the defaults. */
  classify(response: ResponseInfo): ResponseClassification;
}

export interface CompiledProfile {
  readonly fullyQualifiedName: string;
  readonly opaqueProtocol: boolean;
  readonly routes: readonly CompiledRoute[];
  /** undefined when the profile has none or an invalid one: no retries. */
  readonly retryBudget: CompiledRetryBudget | undefined;
  /** dstOverrides with weight above 0; empty means no split. */
  readonly backends: readonly { readonly authority: string; readonly weight: number }[];
  readonly skipped: readonly SkippedPart[];
  /** The first route whose condition matches, or undefined. */
  matchRoute(request: RequestInfo): CompiledRoute | undefined;
  /** `route`'s classes (if any), then the defaults. */
  classify(route: CompiledRoute | undefined, response: ResponseInfo): ResponseClassification;
}

type Compiled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const INT32_MAX = 2_147_483_647;

/** Prepare `profile` for per-request matching and classification. */
export function compileProfile(profile: DestinationProfile): CompiledProfile {
  const skipped: SkippedPart[] = [];
  const routes: CompiledRoute[] = [];
  profile.routes.forEach((route, i) => {
    const compiled = compileRoute(route, `routes[${i}]`, skipped);
    if (compiled.ok) routes.push(compiled.value);
    else skipped.push({ path: `routes[${i}]`, reason: compiled.reason });
  });
  const budget = profile.retryBudget === undefined ? undefined : compileRetryBudget(profile.retryBudget);
  if (budget !== undefined && !budget.ok) skipped.push({ path: 'retryBudget', reason: budget.reason });
  const backends = profile.dstOverrides
    .filter((dst) => dst.weight > 0)
    .map((dst) => Object.freeze({ authority: dst.authority, weight: dst.weight }));

  return Object.freeze({
    fullyQualifiedName: profile.fullyQualifiedName,
    opaqueProtocol: profile.opaqueProtocol,
    routes: Object.freeze(routes),
    retryBudget: budget?.ok === true ? budget.value : undefined,
    backends: Object.freeze(backends),
    skipped: Object.freeze(skipped),
    matchRoute(request: RequestInfo): CompiledRoute | undefined {
      const path = requestPath(request.path);
      for (const route of routes) if (route.matches(request.method, path)) return route;
      return undefined;
    },
    classify(route: CompiledRoute | undefined, response: ResponseInfo): ResponseClassification {
      return route === undefined ? classifyDefault(response) : route.classify(response);
    },
  });
}

/** The path of a request target: without `?query`, and without scheme and authority. */
export function requestPath(target: string): string {
  let start = 0;
  if (target.charCodeAt(0) !== 47 /* '/' */) {
    const scheme = target.indexOf('://');
    if (scheme !== -1) {
      start = target.indexOf('/', scheme + 3);
      if (start === -1) return '/';
    }
  }
  const query = target.indexOf('?', start);
  if (query === -1) return start === 0 ? target : target.slice(start);
  return target.slice(start, query);
}

function classifyDefault(response: ResponseInfo): ResponseClassification {
  if (response.grpcStatus !== undefined) return GRPC_FAILURES.has(response.grpcStatus) ? 'failure' : 'success';
  return response.status >= 500 && response.status <= 599 ? 'failure' : 'success';
}

function compileRoute(route: Route, path: string, skipped: SkippedPart[]): Compiled<CompiledRoute> {
  if (route.condition === undefined) return { ok: false, reason: 'has no condition' };
  const condition = compileRequestMatch(route.condition, 0);
  if (!condition.ok) return { ok: false, reason: `condition ${condition.reason}` };
  const matcher = condition.value;

  const classes: ResponseClassMatcher[] = [];
  route.responseClasses.forEach((rc, i) => {
    const compiled = rc.condition === undefined ? undefined : compileResponseMatch(rc.condition, 0);
    if (compiled?.ok === true) classes.push({ matches: compiled.value, isFailure: rc.isFailure });
    else skipped.push({ path: `${path}.responseClasses[${i}]`, reason: compiled?.reason ?? 'has no condition' });
  });

  let timeoutMs: number | undefined;
  if (route.timeout !== undefined) {
    try {
      const ms = millisFromDuration(route.timeout);
      if (ms < 0) skipped.push({ path: `${path}.timeout`, reason: 'is negative' });
      else if (ms > 0) timeoutMs = ms;
    } catch (err) {
      skipped.push({ path: `${path}.timeout`, reason: err instanceof Error ? err.message : String(err) });
    }
  }

  const metricsLabels = Object.freeze({ ...route.metricsLabels });
  return {
    ok: true,
    value: Object.freeze({
      name: metricsLabels['route'] ?? '',
      metricsLabels,
      isRetryable: route.isRetryable,
      timeoutMs,
      matches: matcher,
      classify(response: ResponseInfo): ResponseClassification {
        for (const rc of classes) if (rc.matches(response.status)) return rc.isFailure ? 'failure' : 'success';
        return classifyDefault(response);
      },
    }),
  };
}

const MAX_DEPTH = 64;

function compileRequestMatch(m: RequestMatch, depth: number): Compiled<RequestMatcher> {
  if (depth > MAX_DEPTH) return { ok: false, reason: `nests more than ${MAX_DEPTH} levels` };
  const match = m.match;
  if (match === undefined) return { ok: false, reason: 'has an empty match' };
  switch (match.$case) {
    case 'all':
    case 'any': {
      const children: RequestMatcher[] = [];
      for (const child of match.$case === 'all' ? match.all.matches : match.any.matches) {
        const compiled = compileRequestMatch(child, depth + 1);
        if (!compiled.ok) return compiled;
        children.push(compiled.value);
      }
      if (match.$case === 'all') {
        return {
          ok: true,
          value: (method, path) => {
            for (const child of children) if (!child(method, path)) return false;
            return true;
          },
        };
      }
      return {
        ok: true,
        value: (method, path) => {
          for (const child of children) if (child(method, path)) return true;
          return false;
        },
      };
    }
    case 'not': {
      const inner = compileRequestMatch(match.not, depth + 1);
      if (!inner.ok) return inner;
      const test = inner.value;
      return { ok: true, value: (method, path) => !test(method, path) };
    }
    case 'path': {
      const compiled = compilePathRegex(match.path.regex);
      if (!compiled.ok) return { ok: false, reason: compiled.reason };
      const regex = compiled.regex;
      return { ok: true, value: (_method, path) => regex.test(path) };
    }
    case 'method': {
      const name = methodName(match.method);
      if (name === undefined) return { ok: false, reason: 'has an unknown method' };
      return { ok: true, value: (method) => method === name };
    }
    default:
      return unreachable(match);
  }
}

function compileResponseMatch(m: ResponseMatch, depth: number): Compiled<StatusMatcher> {
  if (depth > MAX_DEPTH) return { ok: false, reason: `nests more than ${MAX_DEPTH} levels` };
  const match = m.match;
  if (match === undefined) return { ok: false, reason: 'has an empty match' };
  switch (match.$case) {
    case 'all':
    case 'any': {
      const seq = match.$case === 'all' ? match.all.matches : match.any.matches;
      // An empty all/any class is dropped, as Linkerd's proxy does.
      if (seq.length === 0) return { ok: false, reason: `has an empty ${match.$case}` };
      const children: StatusMatcher[] = [];
      for (const child of seq) {
        const compiled = compileResponseMatch(child, depth + 1);
        if (!compiled.ok) return compiled;
        children.push(compiled.value);
      }
      if (match.$case === 'all') {
        return {
          ok: true,
          value: (status) => {
            for (const child of children) if (!child(status)) return false;
            return true;
          },
        };
      }
      return {
        ok: true,
        value: (status) => {
          for (const child of children) if (child(status)) return true;
          return false;
        },
      };
    }
    case 'not': {
      const inner = compileResponseMatch(match.not, depth + 1);
      if (!inner.ok) return inner;
      const test = inner.value;
      return { ok: true, value: (status) => !test(status) };
    }
    case 'status': {
      // A bound of 0 is unset (proto3 default): a single bound matches exactly that code.
      const min = match.status.min === 0 ? match.status.max : match.status.min;
      const max = match.status.max === 0 ? match.status.min : match.status.max;
      if (min < 100 || max > 999 || min > max) {
        return { ok: false, reason: `has an invalid status range ${match.status.min}-${match.status.max}` };
      }
      return { ok: true, value: (status) => status >= min && status <= max };
    }
    default:
      return unreachable(match);
  }
}

function methodName(method: HttpMethod): string | undefined {
  const type = method.type;
  if (type === undefined) return undefined;
  switch (type.$case) {
    case 'registered':
      return REGISTERED_NAMES.get(type.registered);
    case 'unregistered':
      return type.unregistered === '' ? undefined : type.unregistered;
    default:
      return unreachable(type);
  }
}

const REGISTERED_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(HttpMethod_Registered)
    .filter(([name]) => name !== 'UNRECOGNIZED')
    .map(([name, value]) => [value, name]),
);

function compileRetryBudget(budget: NonNullable<DestinationProfile['retryBudget']>): Compiled<CompiledRetryBudget> {
  if (!(budget.retryRatio >= 0 && budget.retryRatio <= 1000)) {
    return { ok: false, reason: `retryRatio ${budget.retryRatio} is outside 0-1000` };
  }
  if (budget.minRetriesPerSecond > INT32_MAX) {
    return { ok: false, reason: `minRetriesPerSecond ${budget.minRetriesPerSecond} is too large` };
  }
  if (budget.ttl === undefined) return { ok: false, reason: 'ttl is missing' };
  let ttlMs: number;
  try {
    ttlMs = millisFromDuration(budget.ttl);
  } catch (err) {
    return { ok: false, reason: `ttl ${err instanceof Error ? err.message : String(err)}` };
  }
  if (ttlMs < 1000 || ttlMs > 60_000) return { ok: false, reason: `ttl ${ttlMs}ms is outside 1s-60s` };
  return {
    ok: true,
    value: Object.freeze({ retryRatio: budget.retryRatio, minRetriesPerSecond: budget.minRetriesPerSecond, ttlMs }),
  };
}

function unreachable(value: never): never {
  throw new InternalError(`unexpected oneof case ${JSON.stringify(value)}`);
}
