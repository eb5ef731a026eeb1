// Which routes apply to a request, before any rule is matched: the routes attached to one Service
// port, seen from a client namespace (GEP-1426 producer and consumer routes), their order for
// tie-breaks, and hostname matching.
//
// Contract: pure functions over parsed routes.
// - A route applies to `{service, port}` when one of its Service parentRefs names that Service
//   (namespace and name) and either sets no port or that port (and, when both sides know it, the
//   port's name as sectionName).
// - Consumer routes (in the client's namespace, when that is not the Service's) replace producer
//   routes (in the Service's namespace) for that client; with no consumer route, the producer
//   routes apply. Routes in any other namespace never apply.
// - Ties between routes go to the oldest creationTimestamp (a route without one counts as newest),
//   then to `namespace/name` in alphabetical order.

import type { Route } from './route-types.ts';

/** A Service port that routes attach to. */
export interface ParentService {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  /** The port's name, to compare with a parentRef's sectionName when both are known. */
  readonly portName?: string;
}

/** The parent and the client's namespace: what decides which routes apply. */
export interface RouteTarget {
  readonly parent: ParentService;
  /** The namespace of the workload sending the request. */
  readonly clientNamespace: string;
}

/** True when one of `route`'s Service parentRefs selects `parent`. */
export function attachesTo(route: Route, parent: ParentService): boolean {
  return route.parentRefs.some(
    (ref) =>
      ref.mesh &&
      ref.name === parent.name &&
      ref.namespace === parent.namespace &&
      (ref.port === undefined || ref.port === parent.port) &&
      (ref.sectionName === undefined || parent.portName === undefined || ref.sectionName === parent.portName),
  );
}

/**
 * The routes that apply to requests from `target.clientNamespace` to `target.parent`, oldest first:
 * the consumer routes when there are any, else the producer routes.
 */
export function routesForTarget<R extends Route>(routes: readonly R[], target: RouteTarget): R[] {
  const attached = routes.filter((r) => attachesTo(r, target.parent));
  const { clientNamespace, parent } = target;
  const consumer =
    clientNamespace === parent.namespace ? [] : attached.filter((r) => r.metadata.namespace === clientNamespace);
  const chosen = consumer.length > 0 ? consumer : attached.filter((r) => r.metadata.namespace === parent.namespace);
  return chosen.sort(compareRouteAge);
}

/** Oldest creationTimestamp first (none counts as newest), then `namespace/name` alphabetically. */
export function compareRouteAge(a: Route, b: Route): number {
  const ta = timestampMs(a);
  const tb = timestampMs(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function timestampMs(route: Route): number {
  const text = route.metadata.creationTimestamp;
  const ms = text === undefined ? Number.NaN : Date.parse(text);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/**
 * How well a route's hostnames match the request's host, as [characters of a matching exact
 * hostname, characters of the matching hostname]; `undefined` when the route names hostnames and
 * none matches. A route without hostnames, or a request without a host, ranks [0, 0].
 */
export function hostnameRank(
  hostnames: readonly string[],
  host: string | undefined,
): readonly [number, number] | undefined {
  if (hostnames.length === 0 || host === undefined) return [0, 0];
  const name = stripPort(host).toLowerCase().replace(/\.$/, '');
  let best: readonly [number, number] | undefined;
  for (const hostname of hostnames) {
    let rank: readonly [number, number] | undefined;
    if (hostname === name) rank = [hostname.length, hostname.length];
    else if (hostname.startsWith('*.') && name.endsWith(hostname.slice(1)) && name.length > hostname.length - 1) {
      rank = [0, hostname.length];
    }
    if (rank !== undefined && (best === undefined || rank[0] > best[0] || (rank[0] === best[0] && rank[1] > best[1]))) {
      best = rank;
    }
  }
  return best;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 || host.indexOf(':') !== colon ? host : host.slice(0, colon);
}

/** Compare two precedence keys (arrays of numbers, higher wins); negative when `a` ranks higher. */
export function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (b[i] ?? 0) - (a[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
