// The limits and patterns of the Gateway API v1 CRDs, as nodemesh enforces them.
//
// Every number here is the one in kubernetes-sigs/gateway-api `apis/v1/*.go` (kubebuilder
// MaxItems/MaxLength/Minimum/Maximum/Pattern markers and CEL XValidation rules), read at
// httproute_types.go 0377516, grpcroute_types.go 0643c0d, shared_types.go 014ea85 and
// object_reference_types.go 2cc5c8d. The comment on each names the Go type and field.

/** CommonRouteSpec.ParentRefs: MaxItems=32. */
export const MAX_PARENT_REFS = 32;
/** HTTPRouteSpec.Hostnames and GRPCRouteSpec.Hostnames: MaxItems=16. */
export const MAX_HOSTNAMES = 16;
/** HTTPRouteSpec.Rules and GRPCRouteSpec.Rules: MaxItems=16 (HTTPRoute also MinItems=1). */
export const MAX_RULES = 16;
/** HTTPRouteRule.Matches: MaxItems=64. */
export const MAX_HTTP_MATCHES_PER_RULE = 64;
/** GRPCRouteRule.Matches: MaxItems=8. */
export const MAX_GRPC_MATCHES_PER_RULE = 8;
/** The CEL rule on Rules of both kinds: the sum of matches over all rules is <= 128. */
export const MAX_MATCHES_PER_ROUTE = 128;
/** HTTPRouteMatch.Headers, .QueryParams and GRPCRouteMatch.Headers: MaxItems=16. */
export const MAX_HEADER_MATCHES = 16;
export const MAX_QUERY_PARAM_MATCHES = 16;
/** HTTPRouteRule.Filters, GRPCRouteRule.Filters and the backendRefs' Filters: MaxItems=16. */
export const MAX_FILTERS = 16;
/** HTTPRouteRule.BackendRefs and GRPCRouteRule.BackendRefs: MaxItems=16. */
export const MAX_BACKEND_REFS = 16;
/** HTTPHeaderFilter.Set, .Add and .Remove: MaxItems=16 each. */
export const MAX_HEADER_MODIFIER_ITEMS = 16;
/** BackendRef.Weight: Minimum=0, Maximum=1000000; default 1. */
export const MAX_WEIGHT = 1_000_000;
/** PortNumber: Minimum=1, Maximum=65535. */
export const MAX_PORT = 65_535;
/** HTTPPathMatch.Value and HTTPPathModifier.ReplaceFullPath/ReplacePrefixMatch: MaxLength=1024. */
export const MAX_PATH_LENGTH = 1024;
/** HTTPHeaderMatch.Value, GRPCHeaderMatch.Value and HTTPHeader.Value: MinLength=1, MaxLength=4096. */
export const MAX_HEADER_VALUE_LENGTH = 4096;
/** HTTPQueryParamMatch.Value: MinLength=1, MaxLength=1024. */
export const MAX_QUERY_VALUE_LENGTH = 1024;
/** GRPCMethodMatch.Service and .Method: MaxLength=1024. */
export const MAX_GRPC_NAME_LENGTH = 1024;
/** HeaderName: MinLength=1, MaxLength=256. */
export const MAX_HEADER_NAME_LENGTH = 256;

/** HeaderName: `^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`, an RFC 7230 token. */
export const HEADER_NAME_PATTERN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
/** Hostname: a DNS name, lower case, optionally `*.`-prefixed; 1 to 253 characters. */
export const HOSTNAME_PATTERN = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** PreciseHostname (the redirect hostname): as Hostname without the wildcard. */
export const PRECISE_HOSTNAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Group: "" or an RFC 1123 subdomain, at most 253 characters. */
export const GROUP_PATTERN = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kind: 1 to 63 characters. */
export const KIND_PATTERN = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
/** Namespace: an RFC 1123 label, 1 to 63 characters. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** SectionName (a rule name, a parent's sectionName): an RFC 1123 subdomain, 1 to 253 characters. */
export const SECTION_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** metadata.name of a route: an RFC 1123 subdomain (what the API server checks for custom objects). */
export const OBJECT_NAME_PATTERN = SECTION_NAME_PATTERN;
/** HTTPPathMatch CEL rule for Exact and PathPrefix values: RFC 3986 path characters. */
export const PATH_CHARACTERS_PATTERN = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
/** HTTPPathMatch CEL rules: sequences an Exact or PathPrefix value must not contain. */
export const PATH_FORBIDDEN_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F', '#'] as const;
/** HTTPPathMatch CEL rules: endings an Exact or PathPrefix value must not have. */
export const PATH_FORBIDDEN_SUFFIXES = ['/..', '/.'] as const;
/** GRPCMethodMatch CEL rule for an Exact service: `^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$`. */
export const GRPC_SERVICE_PATTERN = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
/** GRPCMethodMatch CEL rule for an Exact method: `^[A-Za-z_][A-Za-z_0-9]*$`. */
export const GRPC_METHOD_PATTERN = /^[A-Za-z_][A-Za-z_0-9]*$/;
