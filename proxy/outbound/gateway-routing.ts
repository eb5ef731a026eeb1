// The Gateway API routes of one logical target (ADR 0012), compiled from its profile's
// `gatewayRoutes` once per profile update: each route object is parsed again with parseRoute
// (unusable ones are skipped and logged), the HTTP and gRPC routers are compiled for the target's
// Service port as seen from this proxy's namespace, and every rule is turned into what the
// request path needs (header edits, redirect, weighted backends with their authorities, timeouts,
// metric labels), so that a request only selects and reads.
//
// Contract: pure apart from logging; the result is frozen. undefined when the profile has no
// usable route or its fully qualified name is not a Service name (the caller then uses the
// profile as before). `select` answers the compiled rule for a request, or undefined (404).

import type { DestinationProfile } from '../../src/api/index.ts';
import type { Logger } from '../../src/log/index.ts';
// Deep imports: src/{profiles,routes}/index.ts also export the YAML parsers, which would load
// `yaml` (~4 MB) into every sidecar (docs/performance.md, footprint).
import { parseServiceName } from '../../src/profiles/profile-name.ts';
import type {
  BackendRef,
  GrpcRoute,
  GrpcRouteFilter,
  GrpcRouteRule,
  GrpcRouter,
  HttpRoute,
  HttpRouteFilter,
  HttpRouteRule,
  HttpRouter,
  ParentService,
  RequestHeaders,
  RequestRedirect,
  Route,
} from '../../src/routes/index.ts';
import { parseGatewayDurationMs } from '../../src/routes/route-duration.ts';
import { compileHttpRouter } from '../../src/routes/route-match.ts';
import { compileGrpcRouter } from '../../src/routes/route-match-grpc.ts';
import { parseRoute } from '../../src/routes/route-parse.ts';
import type { HeaderEdit } from '../http/header-edit.ts';

/** The labels of the route family (`outbound_http_route_*`), one frozen object per route. */
export interface RouteMetricLabels {
  readonly parent_name: string;
  readonly parent_namespace: string;
  readonly parent_port: string;
  readonly route_kind: string;
  readonly route_name: string;
  readonly route_namespace: string;
}

export interface BackendMetricLabels extends RouteMetricLabels {
  readonly backend_name: string;
  readonly backend_namespace: string;
  readonly backend_port: string;
}

export interface CompiledBackend {
  readonly weight: number;
  /** `name.namespace.svc.<domain>:port`; undefined for a backend that is not a core Service. */
  readonly authority: string | undefined;
  readonly labels: BackendMetricLabels;
  readonly requestEdits: readonly HeaderEdit[];
  readonly responseEdits: readonly HeaderEdit[];
  /** The filter types of this backend nodemesh does not implement (undefined: none). */
  readonly unsupported: string | undefined;
}

export interface CompiledRule {
  readonly labels: RouteMetricLabels;
  /** `namespace/name` of the route, and the rule's index or name, for messages. */
  readonly description: string;
  readonly unsupported: string | undefined;
  readonly redirect: RequestRedirect | undefined;
  /** The PathPrefix value a `ReplacePrefixMatch` redirect replaces (the rule's one match). */
  readonly redirectPrefix: string | undefined;
  readonly requestEdits: readonly HeaderEdit[];
  readonly responseEdits: readonly HeaderEdit[];
  readonly backends: readonly CompiledBackend[];
  /** Bounds the whole request (undefined: none). */
  readonly requestTimeoutMs: number | undefined;
  /** Bounds each backend attempt (undefined: none). */
  readonly backendTimeoutMs: number | undefined;
  /** The Service port the route is attached to (a redirect's default port). */
  readonly parentPort: number;
  /** The Service's host name (a redirect's default host when the request has none). */
  readonly parentHost: string;
}

export interface RoutedRequestInfo {
  readonly method: string;
  readonly target: string;
  readonly authority: string | undefined;
  readonly headers: RequestHeaders;
  readonly grpc: boolean;
}

export interface GatewayRouting {
  readonly parent: ParentService;
  readonly http: HttpRouter;
  readonly grpc: GrpcRouter;
  select(request: RoutedRequestInfo): CompiledRule | undefined;
}

export interface GatewayRoutingOptions {
  /** The logical target's name, `host:port`. */
  readonly target: string;
  /** This proxy's namespace (from the destination context token); the Service's when unknown. */
  readonly clientNamespace: string | undefined;
  readonly log: Logger;
}

export function compileGatewayRouting(
  profile: DestinationProfile,
  opts: GatewayRoutingOptions,
): GatewayRouting | undefined {
  const { log, target } = opts;
  const fqn = profile.fullyQualifiedName.replace(/\.$/, '');
  const name = parseServiceName(fqn);
  const port = Number(target.slice(target.lastIndexOf(':') + 1));
  if (!name.ok || !(port >= 1 && port <= 65_535)) {
    log.warn(
      { target, fullyQualifiedName: profile.fullyQualifiedName },
      'ignoring the Gateway API routes of a profile whose name is not a Service',
    );
    return undefined;
  }
  const http: HttpRoute[] = [];
  const grpc: GrpcRoute[] = [];
  profile.gatewayRoutes.forEach((text, index) => {
    const route = parseRouteText(text);
    if (typeof route === 'string') {
      log.warn({ target, index, problem: route }, 'skipping an unusable Gateway API route of the profile');
      return;
    }
    if (route.kind === 'HTTPRoute') http.push(route);
    else grpc.push(route);
  });
  if (http.length === 0 && grpc.length === 0) return undefined;
  const parent: ParentService = { namespace: name.value.namespace, name: name.value.service, port };
  const routeTarget = { parent, clientNamespace: opts.clientNamespace ?? parent.namespace };
  const httpRouter = compileHttpRouter(http, routeTarget);
  const grpcRouter = compileGrpcRouter(grpc, routeTarget);
  const rules = new Map<object, CompiledRule>();
  const context = { parent, parentHost: fqn, clusterDomain: name.value.clusterDomain };
  for (const route of [...httpRouter.routes, ...grpcRouter.routes]) compileRules(route, context, rules);
  const useGrpc = grpcRouter.routes.length > 0;
  return Object.freeze({
    parent,
    http: httpRouter,
    grpc: grpcRouter,
    select(request: RoutedRequestInfo): CompiledRule | undefined {
      const host = request.authority;
      if (request.grpc && useGrpc) {
        const selected = grpcRouter.select({ path: request.target, headers: request.headers, ...hostField(host) });
        return selected === undefined ? undefined : rules.get(selected.rule);
      }
      const path = originForm(request.target);
      const q = path.indexOf('?');
      const selected = httpRouter.select({
        method: request.method,
        path: q === -1 ? path : path.slice(0, q),
        ...(q === -1 ? {} : { query: path.slice(q + 1) }),
        headers: request.headers,
        ...hostField(host),
      });
      return selected === undefined ? undefined : rules.get(selected.rule);
    },
  });
}

/** The route of one `gatewayRoutes` entry, or why it cannot be used. */
function parseRouteText(text: string): Route | string {
  let object: unknown;
  try {
    object = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  const parsed = parseRoute(object);
  return parsed.ok ? parsed.route : parsed.error.message;
}

interface RuleContext {
  readonly parent: ParentService;
  readonly parentHost: string;
  readonly clusterDomain: string;
}

function compileRules(route: Route, context: RuleContext, out: Map<object, CompiledRule>): void {
  const labels: RouteMetricLabels = Object.freeze({
    parent_name: context.parent.name,
    parent_namespace: context.parent.namespace,
    parent_port: String(context.parent.port),
    route_kind: route.kind,
    route_name: route.metadata.name,
    route_namespace: route.metadata.namespace,
  });
  const rules: readonly (HttpRouteRule | GrpcRouteRule)[] = route.rules;
  rules.forEach((rule, index) => {
    const filters: readonly (HttpRouteFilter | GrpcRouteFilter)[] = rule.filters;
    const redirect = redirectOf(filters);
    const first = rule.matches[0];
    const timeouts = 'timeouts' in rule ? rule.timeouts : undefined;
    out.set(
      rule,
      Object.freeze({
        labels,
        description: `${route.kind} ${route.metadata.namespace}/${route.metadata.name} rule ${rule.name ?? index}`,
        unsupported: unsupportedOf(filters),
        redirect,
        redirectPrefix: first !== undefined && 'path' in first ? first.path.value : undefined,
        requestEdits: editsOf(filters, 'request'),
        responseEdits: editsOf(filters, 'response'),
        backends: rule.backendRefs.map((ref) =>
          Object.freeze({
            weight: ref.weight,
            authority: authorityOf(ref, context.clusterDomain),
            labels: Object.freeze({
              ...labels,
              backend_name: ref.name,
              backend_namespace: ref.namespace,
              backend_port: ref.port === undefined ? '' : String(ref.port),
            }),
            requestEdits: editsOf(ref.filters, 'request'),
            responseEdits: editsOf(ref.filters, 'response'),
            unsupported: unsupportedOf(ref.filters),
          }),
        ),
        requestTimeoutMs: durationMs(timeouts?.requestMs, timeouts?.request),
        backendTimeoutMs: durationMs(timeouts?.backendRequestMs, timeouts?.backendRequest),
        parentPort: context.parent.port,
        parentHost: context.parentHost,
      }),
    );
  });
}

function redirectOf(filters: readonly (HttpRouteFilter | GrpcRouteFilter)[]): RequestRedirect | undefined {
  for (const f of filters) if (f.type === 'RequestRedirect') return f.requestRedirect;
  return undefined;
}

function unsupportedOf(filters: readonly (HttpRouteFilter | GrpcRouteFilter)[]): string | undefined {
  const names = filters.flatMap((f) => (f.type === 'Unsupported' ? [f.filterType] : []));
  return names.length === 0 ? undefined : names.join(', ');
}

function editsOf(filters: readonly (HttpRouteFilter | GrpcRouteFilter)[], side: 'request' | 'response'): HeaderEdit[] {
  const edits: HeaderEdit[] = [];
  for (const f of filters) {
    if (side === 'request' && f.type === 'RequestHeaderModifier') edits.push(f.requestHeaderModifier);
    if (side === 'response' && f.type === 'ResponseHeaderModifier') edits.push(f.responseHeaderModifier);
  }
  return edits;
}

/** A core Service backend's authority; other kinds cannot be resolved by this proxy. */
function authorityOf(ref: BackendRef, clusterDomain: string): string | undefined {
  const core = ref.group === '' || ref.group === 'core';
  if (!core || ref.kind !== 'Service' || ref.port === undefined) return undefined;
  return `${ref.name}.${ref.namespace}.svc.${clusterDomain}:${ref.port}`;
}

/** Milliseconds of a timeout; `0s` (and none) is no timeout. */
function durationMs(ms: number | undefined, text: string | undefined): number | undefined {
  const value = ms ?? (text === undefined ? undefined : parseGatewayDurationMs(text));
  return value === undefined || value <= 0 ? undefined : value;
}

function hostField(host: string | undefined): { readonly host?: string } {
  return host === undefined ? {} : { host };
}

/** The path and query of a request target (an absolute-form target loses its scheme and authority). */
export function originForm(target: string): string {
  if (target.startsWith('/')) return target;
  const scheme = target.indexOf('://');
  if (scheme === -1) return target;
  const slash = target.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : target.slice(slash);
}

/** The namespace in a destination context token (`{"ns":"shop"}`), or undefined. */
export function contextNamespace(token: string): string | undefined {
  if (token === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(token);
    if (typeof parsed === 'object' && parsed !== null && 'ns' in parsed && typeof parsed.ns === 'string') {
      return parsed.ns === '' ? undefined : parsed.ns;
    }
  } catch {
    // Not JSON: no namespace.
  }
  return undefined;
}
