// Public surface of src/routes: Gateway API HTTPRoute and GRPCRoute (v1) with a Service parent
// (GEP-1426 mesh routes): the typed model, validation (objects and multi-document YAML), route
// status conditions for a controller, and proxy-side rule selection and weighted backend choice.
export {
  GATEWAY_API_GROUP,
  HTTP_METHODS,
  REDIRECT_STATUS_CODES,
  ROUTE_API_VERSION,
  ROUTE_KINDS,
  type BackendRef,
  type GrpcBackendRef,
  type GrpcMethodMatch,
  type GrpcRoute,
  type GrpcRouteFilter,
  type GrpcRouteMatch,
  type GrpcRouteRule,
  type HeaderMatch,
  type HeaderModifier,
  type HeaderValue,
  type HttpBackendRef,
  type HttpMethod,
  type HttpRoute,
  type HttpRouteFilter,
  type HttpRouteMatch,
  type HttpRouteRule,
  type HttpRouteTimeouts,
  type MatchType,
  type ParentRef,
  type PathMatch,
  type PathMatchType,
  type PathModifier,
  type QueryParamMatch,
  type RedirectStatusCode,
  type RequestRedirect,
  type Route,
  type RouteKind,
  type RouteMetadata,
  type UnsupportedFilter,
} from './route-types.ts';
export {
  RouteValidationError,
  RouteYamlError,
  type RouteProblem,
  type RouteSource,
  type RouteYamlProblem,
} from './route-errors.ts';
export { parseRoute, routeKey, type ParseRouteOptions, type RouteParseResult } from './route-parse.ts';
export { parseRoutesYaml, type ParseRoutesYamlOptions, type RouteDocumentResult } from './route-yaml.ts';
export { GATEWAY_DURATION_ALLOWED, parseGatewayDurationMs } from './route-duration.ts';
export { ROUTE_REGEX_ALLOWED, compileRouteRegex, type RouteRegexResult } from './route-regex.ts';
export * as ROUTE_LIMITS from './route-limits.ts';
export { attachesTo, compareRouteAge, routesForTarget, type ParentService, type RouteTarget } from './route-select.ts';
export type { RequestHeaders } from './route-match-common.ts';
export {
  compileHttpRouter,
  httpMatchKey,
  selectHttpRoute,
  type HttpRequestInfo,
  type HttpRouteSelection,
  type HttpRouter,
} from './route-match.ts';
export {
  compileGrpcRouter,
  grpcMatchKey,
  parseGrpcPath,
  selectGrpcRoute,
  type GrpcRequestInfo,
  type GrpcRouteSelection,
  type GrpcRouter,
} from './route-match-grpc.ts';
export { pickWeighted } from './route-weight.ts';
export {
  ROUTE_CONDITION_REASONS,
  ROUTE_CONDITION_TYPES,
  acceptedCondition,
  meshParentStatuses,
  resolvedRefsCondition,
  unresolvedBackends,
  type AcceptedReason,
  type MeshParentStatus,
  type ResolvedRefsReason,
  type RouteCondition,
  type ServiceLookup,
  type UnresolvedBackend,
} from './route-status.ts';
