// Choose the GRPCRoute rule for a gRPC call, across every route attached to one Service port, in
// Gateway API precedence order.
//
// Contract: as route-match.ts: compile once, `select` per call. Precedence, highest first
// (GRPCRouteRule.Matches in grpcroute_types.go, plus nodemesh's choices where it is left open):
//   0. the route's hostname match when the call has a host;
//   1. method match type: Exact, then RegularExpression, then no method match;
//   2. characters in the service (so service + method beats a longer-named method alone only when
//      the services tie);
//   3. characters in the method (so service + method beats service only);
//   4. the number of header matches;
//   5. the oldest route, then `namespace/name`; then the first rule, then the first match.
// A rule without matches matches every call, ranking below any rule with a match. HTTPRoutes and
// GRPCRoutes are never merged: the caller picks the kind by the request's content-type.

import type { RequestHeaders } from './route-match-common.ts';
import { compileHeaderTests, compileValueTest } from './route-match-common.ts';
import { type RouteTarget, compareKeys, hostnameRank, routesForTarget } from './route-select.ts';
import type { GrpcRoute, GrpcRouteMatch, GrpcRouteRule } from './route-types.ts';

export interface GrpcRequestInfo {
  /** The HTTP/2 :path, `/<package>.<Service>/<Method>`. */
  readonly path: string;
  readonly headers: RequestHeaders;
  readonly host?: string;
}

export interface GrpcRouteSelection {
  readonly route: GrpcRoute;
  readonly rule: GrpcRouteRule;
  readonly ruleIndex: number;
  /** Absent when the rule has no matches (it matches every call). */
  readonly match?: GrpcRouteMatch;
  readonly matchIndex: number;
}

export interface GrpcRouter {
  readonly routes: readonly GrpcRoute[];
  select(request: GrpcRequestInfo): GrpcRouteSelection | undefined;
}

/** `/pkg.Service/Method` → service and method; undefined when the path is not a gRPC path. */
export function parseGrpcPath(path: string): { readonly service: string; readonly method: string } | undefined {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return match === null ? undefined : { service: match[1] ?? '', method: match[2] ?? '' };
}

/** The static precedence key of a match (items 1 to 4 above); higher wins. */
export function grpcMatchKey(match: GrpcRouteMatch | undefined): readonly number[] {
  if (match === undefined) return [0, 0, 0, 0];
  const m = match.method;
  return [
    m === undefined ? 0 : m.type === 'Exact' ? 2 : 1,
    m?.service?.length ?? 0,
    m?.method?.length ?? 0,
    match.headers.length,
  ];
}

type CallTest = (service: string, method: string, headers: RequestHeaders) => boolean;

interface Candidate {
  readonly selection: GrpcRouteSelection;
  readonly routeIndex: number;
  readonly key: readonly number[];
  readonly test: CallTest;
}

export function compileGrpcRouter(routes: readonly GrpcRoute[], target: RouteTarget): GrpcRouter {
  const applied = routesForTarget(routes, target);
  const candidates: Candidate[] = [];
  applied.forEach((route, routeIndex) => {
    route.rules.forEach((rule, ruleIndex) => {
      if (rule.matches.length === 0) {
        candidates.push({
          selection: { route, rule, ruleIndex, matchIndex: 0 },
          routeIndex,
          key: grpcMatchKey(undefined),
          test: () => true,
        });
      }
      rule.matches.forEach((match, matchIndex) => {
        const test = compileMatch(match);
        if (test === undefined) return;
        candidates.push({
          selection: { route, rule, ruleIndex, match, matchIndex },
          routeIndex,
          key: grpcMatchKey(match),
          test,
        });
      });
    });
  });
  candidates.sort(
    (a, b) =>
      compareKeys(a.key, b.key) ||
      a.routeIndex - b.routeIndex ||
      a.selection.ruleIndex - b.selection.ruleIndex ||
      a.selection.matchIndex - b.selection.matchIndex,
  );
  const anyHostnames = applied.some((r) => r.hostnames.length > 0);
  return Object.freeze({
    routes: Object.freeze(applied),
    select(request: GrpcRequestInfo): GrpcRouteSelection | undefined {
      const call = parseGrpcPath(request.path.split('?')[0] ?? '');
      if (call === undefined) return undefined;
      const matches = (c: Candidate): boolean => c.test(call.service, call.method, request.headers);
      if (!anyHostnames || request.host === undefined) return candidates.find(matches)?.selection;
      let best: { readonly candidate: Candidate; readonly rank: readonly [number, number] } | undefined;
      for (const candidate of candidates) {
        const rank = hostnameRank(candidate.selection.route.hostnames, request.host);
        if (rank === undefined || (best !== undefined && compareKeys(rank, best.rank) >= 0)) continue;
        if (matches(candidate)) best = { candidate, rank };
      }
      return best?.candidate.selection;
    },
  });
}

export function selectGrpcRoute(
  routes: readonly GrpcRoute[],
  target: RouteTarget,
  request: GrpcRequestInfo,
): GrpcRouteSelection | undefined {
  return compileGrpcRouter(routes, target).select(request);
}

function compileMatch(match: GrpcRouteMatch): CallTest | undefined {
  const m = match.method;
  // An Exact service may be written fully qualified with a leading "." (.helloworld.Greeter).
  const service = m?.type === 'Exact' ? m.service?.replace(/^\./, '') : m?.service;
  const serviceTest = m === undefined || service === undefined ? () => true : compileValueTest(m.type, service);
  const methodTest = m?.method === undefined ? () => true : compileValueTest(m.type, m.method);
  const headersTest = compileHeaderTests(match.headers);
  if (serviceTest === undefined || methodTest === undefined || headersTest === undefined) return undefined;
  return (service, method, headers) => serviceTest(service) && methodTest(method) && headersTest(headers);
}
