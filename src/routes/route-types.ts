// The Gateway API routes nodemesh reads (`gateway.networking.k8s.io/v1` HTTPRoute and GRPCRoute),
// as a typed, frozen model with the defaults the CRD applies already filled in.
//
// Contract: values of these types come from parseRoute, which validated them and deep-froze them.
// Defaults are applied (a rule without matches gets one PathPrefix "/" match, a match without a
// path gets PathPrefix "/", a header match without a type is Exact, a backend weight is 1, a
// redirect status is 302) and namespaces are resolved (a parentRef or backendRef without one gets
// the route's namespace). Regular expressions stay strings here: route-match compiles them.
// Parents that are not core Services (Gateways, Linkerd Servers) are kept with `mesh: false`, so a
// controller can ignore them without losing them.

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const ROUTE_API_VERSION = `${GATEWAY_API_GROUP}/v1`;
export const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

/** The methods HTTPRoute may match (the CRD enum of HTTPMethod). */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The redirect status codes of the CRD enum (301 and 302 are Core, 303, 307 and 308 Extended). */
export const REDIRECT_STATUS_CODES = [301, 302, 303, 307, 308] as const;
export type RedirectStatusCode = (typeof REDIRECT_STATUS_CODES)[number];

export type MatchType = 'Exact' | 'RegularExpression';
export type PathMatchType = 'Exact' | 'PathPrefix' | 'RegularExpression';

export type Route = HttpRoute | GrpcRoute;

interface RouteBase {
  readonly apiVersion: string;
  readonly metadata: RouteMetadata;
  readonly parentRefs: readonly ParentRef[];
  /** Lower-case DNS names, possibly `*.`-prefixed; empty means every host. */
  readonly hostnames: readonly string[];
}

export interface HttpRoute extends RouteBase {
  readonly kind: 'HTTPRoute';
  readonly rules: readonly HttpRouteRule[];
}

export interface GrpcRoute extends RouteBase {
  readonly kind: 'GRPCRoute';
  readonly rules: readonly GrpcRouteRule[];
}

/** The parts of ObjectMeta a route keeps (other fields are accepted and dropped). */
export interface RouteMetadata {
  readonly name: string;
  /** The object's namespace, or the parser's `defaultNamespace` when the object had none. */
  readonly namespace: string;
  /** RFC 3339, as the API server writes it; absent for objects not yet created. */
  readonly creationTimestamp?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ParentRef {
  /** As written; `gateway.networking.k8s.io` when omitted; "" (or Linkerd's "core") for Services. */
  readonly group: string;
  /** As written; `Gateway` when omitted. */
  readonly kind: string;
  readonly name: string;
  /** Resolved: the route's namespace when omitted. */
  readonly namespace: string;
  readonly sectionName?: string;
  /** For a Service parent, the Service port the route applies to; absent means every port. */
  readonly port?: number;
  /** True for a core Service parent: a GEP-1426 mesh route this mesh serves. */
  readonly mesh: boolean;
}

export interface HttpRouteRule {
  readonly name?: string;
  /** ORed; never empty (the default is one PathPrefix "/" match). */
  readonly matches: readonly HttpRouteMatch[];
  readonly filters: readonly HttpRouteFilter[];
  /** Empty means no backend: a request that matches gets the filter's answer (a redirect) or an error. */
  readonly backendRefs: readonly HttpBackendRef[];
  readonly timeouts?: HttpRouteTimeouts;
}

/** Every field is ANDed. */
export interface HttpRouteMatch {
  readonly path: PathMatch;
  readonly headers: readonly HeaderMatch[];
  readonly queryParams: readonly QueryParamMatch[];
  readonly method?: HttpMethod;
}

export interface PathMatch {
  readonly type: PathMatchType;
  readonly value: string;
}

export interface HeaderMatch {
  readonly type: MatchType;
  /** As written; compared case-insensitively. */
  readonly name: string;
  readonly value: string;
}

export interface QueryParamMatch {
  readonly type: MatchType;
  /** Compared case-sensitively. */
  readonly name: string;
  readonly value: string;
}

export type HttpRouteFilter =
  | { readonly type: 'RequestHeaderModifier'; readonly requestHeaderModifier: HeaderModifier }
  | { readonly type: 'ResponseHeaderModifier'; readonly responseHeaderModifier: HeaderModifier }
  | { readonly type: 'RequestRedirect'; readonly requestRedirect: RequestRedirect }
  | UnsupportedFilter;

export type GrpcRouteFilter =
  | { readonly type: 'RequestHeaderModifier'; readonly requestHeaderModifier: HeaderModifier }
  | { readonly type: 'ResponseHeaderModifier'; readonly responseHeaderModifier: HeaderModifier }
  | UnsupportedFilter;

/**
 * A filter the CRD allows and nodemesh does not implement (URLRewrite, RequestMirror, CORS,
 * ExternalAuth, ExtensionRef). The route is not Accepted (UnsupportedValue), and the spec says such
 * a filter must not be skipped: a proxy answers a request that selects it with an error.
 */
export interface UnsupportedFilter {
  readonly type: 'Unsupported';
  readonly filterType: string;
}

export interface HeaderModifier {
  readonly set: readonly HeaderValue[];
  readonly add: readonly HeaderValue[];
  readonly remove: readonly string[];
}

export interface HeaderValue {
  readonly name: string;
  readonly value: string;
}

export interface RequestRedirect {
  readonly scheme?: 'http' | 'https';
  readonly hostname?: string;
  readonly path?: PathModifier;
  readonly port?: number;
  /** 302 when not written. */
  readonly statusCode: RedirectStatusCode;
}

export type PathModifier =
  | { readonly type: 'ReplaceFullPath'; readonly replaceFullPath: string }
  | { readonly type: 'ReplacePrefixMatch'; readonly replacePrefixMatch: string };

export interface BackendRef {
  /** "" (core) when omitted. */
  readonly group: string;
  /** `Service` when omitted. */
  readonly kind: string;
  readonly name: string;
  /** Resolved: the route's namespace when omitted. */
  readonly namespace: string;
  /** Required (and present) for a core Service. */
  readonly port?: number;
  /** 0 to 1,000,000; 1 when omitted; 0 sends nothing to this backend. */
  readonly weight: number;
}

export interface HttpBackendRef extends BackendRef {
  readonly filters: readonly HttpRouteFilter[];
}

export interface GrpcBackendRef extends BackendRef {
  readonly filters: readonly GrpcRouteFilter[];
}

/** Gateway API durations as written (`10s`, `1m30s`, `0s` disables) and in milliseconds. */
export interface HttpRouteTimeouts {
  readonly request?: string;
  readonly requestMs?: number;
  readonly backendRequest?: string;
  readonly backendRequestMs?: number;
}

export interface GrpcRouteRule {
  readonly name?: string;
  /** ORed; empty matches every request. */
  readonly matches: readonly GrpcRouteMatch[];
  readonly filters: readonly GrpcRouteFilter[];
  readonly backendRefs: readonly GrpcBackendRef[];
}

export interface GrpcRouteMatch {
  /** Absent matches every service and method. */
  readonly method?: GrpcMethodMatch;
  readonly headers: readonly HeaderMatch[];
}

/** At least one of service and method is set. */
export interface GrpcMethodMatch {
  readonly type: MatchType;
  readonly service?: string;
  readonly method?: string;
}
