// Choose the HTTPRoute rule for a request, across every route attached to one Service port, in
// Gateway API precedence order.
//
// Contract: `compileHttpRouter` does the work once per route set (selection, regex compilation,
// sorting); `select` is synchronous, allocation-light and safe to call per request. Precedence,
// highest first (HTTPRouteRule.Matches in httproute_types.go, plus nodemesh's choices where the
// spec leaves it to the implementation):
//   0. the route's hostname match when the request has a host (characters of an exact hostname,
//      then of a wildcard one);
//   1. an Exact path match (the spec's first criterion);
//   2. characters of the path matched: a PathPrefix match counts its prefix (without a trailing
//      "/"; "/" counts 1), a RegularExpression match the whole request path, as Linkerd's proxy
//      counts it — so a regex beats any shorter prefix, and "PathPrefix /" stays the catch-all;
//   3. a method match;
//   4. the number of header matches;
//   5. the number of query param matches;
//   6. the oldest route (creationTimestamp), then `namespace/name` alphabetically;
//   7. the first rule in the route, then the first match in the rule.
// No match means the request gets 404 (GEP-1294: a Service with routes serves only what they match).

import type { RequestHeaders, ValueTest } from './route-match-common.ts';
import { compileHeaderTests, compileValueTest } from './route-match-common.ts';
import { type RouteTarget, compareKeys, hostnameRank, routesForTarget } from './route-select.ts';
import type { HttpRoute, HttpRouteMatch, HttpRouteRule, PathMatch } from './route-types.ts';

export interface HttpRequestInfo {
  /** Upper case, as sent. */
  readonly method: string;
  /** The path; anything from "?" on is ignored (give the query string as `query`). */
  readonly path: string;
  /** The query string without "?", e.g. `page=2&sort=asc`. */
  readonly query?: string;
  readonly headers: RequestHeaders;
  /** The :authority or Host, for routes with hostnames; absent skips hostname matching. */
  readonly host?: string;
}

export interface HttpRouteSelection {
  readonly route: HttpRoute;
  readonly rule: HttpRouteRule;
  readonly ruleIndex: number;
  readonly match: HttpRouteMatch;
  readonly matchIndex: number;
}

export interface HttpRouter {
  /** The routes that apply to the target, oldest first. */
  readonly routes: readonly HttpRoute[];
  select(request: HttpRequestInfo): HttpRouteSelection | undefined;
}

/** The precedence key of a match for a request whose path it matched with `pathLength` characters (items 1 to 5 above); higher wins. */
export function httpMatchKey(match: HttpRouteMatch, pathLength: number): readonly number[] {
  return [
    match.path.type === 'Exact' ? 1 : 0,
    pathLength,
    match.method === undefined ? 0 : 1,
    match.headers.length,
    match.queryParams.length,
  ];
}

interface Candidate {
  readonly selection: HttpRouteSelection;
  /** The characters of the path matched, or -1 when the request does not match. */
  readonly test: (request: HttpRequestInfo, path: string, query: URLSearchParams | undefined) => number;
}

const NO_HOSTNAME: readonly [number, number] = [0, 0];

/** Compile the routes that apply to `target` into a router. */
export function compileHttpRouter(routes: readonly HttpRoute[], target: RouteTarget): HttpRouter {
  const applied = routesForTarget(routes, target);
  const candidates: Candidate[] = [];
  // Candidates in tie-break order (item 6 and 7: oldest route, then rule, then match): the first of
  // equally ranked matches wins.
  applied.forEach((route) => {
    route.rules.forEach((rule, ruleIndex) => {
      rule.matches.forEach((match, matchIndex) => {
        const test = compileMatch(match);
        if (test === undefined) return; // an invalid regex: parseRoute refuses it; never matches
        candidates.push({ selection: { route, rule, ruleIndex, match, matchIndex }, test });
      });
    });
  });
  const anyHostnames = applied.some((r) => r.hostnames.length > 0);
  return Object.freeze({
    routes: Object.freeze(applied),
    select(request: HttpRequestInfo): HttpRouteSelection | undefined {
      const q = request.path.indexOf('?');
      const path = q === -1 ? request.path : request.path.slice(0, q);
      const query =
        request.query === undefined || request.query === '' ? undefined : new URLSearchParams(request.query);
      const byHost = anyHostnames && request.host !== undefined;
      let best: { readonly selection: HttpRouteSelection; readonly key: readonly number[] } | undefined;
      for (const candidate of candidates) {
        const host = byHost ? hostnameRank(candidate.selection.route.hostnames, request.host) : NO_HOSTNAME;
        if (host === undefined) continue;
        const pathLength = candidate.test(request, path, query);
        if (pathLength < 0) continue;
        const key = [host[0], host[1], ...httpMatchKey(candidate.selection.match, pathLength)];
        if (best === undefined || compareKeys(key, best.key) < 0) best = { selection: candidate.selection, key };
      }
      return best?.selection;
    },
  });
}

/** Compile and select in one call (for one-off checks; a proxy keeps the router). */
export function selectHttpRoute(
  routes: readonly HttpRoute[],
  target: RouteTarget,
  request: HttpRequestInfo,
): HttpRouteSelection | undefined {
  return compileHttpRouter(routes, target).select(request);
}

function compileMatch(match: HttpRouteMatch): Candidate['test'] | undefined {
  const pathTest = compilePathTest(match.path);
  const headersTest = compileHeaderTests(match.headers);
  const queryTests: { readonly name: string; readonly test: ValueTest }[] = [];
  for (const q of match.queryParams) {
    const test = compileValueTest(q.type, q.value);
    if (test === undefined) return undefined;
    queryTests.push({ name: q.name, test });
  }
  if (pathTest === undefined || headersTest === undefined) return undefined;
  const method = match.method;
  return (request, path, query) => {
    if (method !== undefined && request.method !== method) return -1;
    const pathLength = pathTest(path);
    if (pathLength < 0) return -1;
    for (const { name, test } of queryTests) {
      const value = query?.get(name); // the first value when repeated, as the spec recommends
      if (value === undefined || value === null || !test(value)) return -1;
    }
    return headersTest(request.headers) ? pathLength : -1;
  };
}

/** A test giving the characters of the path a match covers (-1: no match). */
function compilePathTest(match: PathMatch): ((path: string) => number) | undefined {
  switch (match.type) {
    case 'Exact':
      return (path) => (path === match.value ? path.length : -1);
    case 'PathPrefix': {
      // Element-wise: "/abc" (or "/abc/") matches "/abc", "/abc/" and "/abc/def", not "/abcd".
      const prefix = match.value.replace(/\/+$/, '');
      const length = Math.max(1, prefix.length);
      return (path) => (path === prefix || path.startsWith(`${prefix}/`) ? length : -1);
    }
    case 'RegularExpression': {
      const test: ValueTest | undefined = compileValueTest('RegularExpression', match.value);
      return test === undefined ? undefined : (path) => (test(path) ? path.length : -1);
    }
  }
}
