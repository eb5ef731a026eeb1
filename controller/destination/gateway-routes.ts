// The `gateway_routes` of one GetProfile answer (ADR 0012): the JSON of the HTTPRoutes and
// GRPCRoutes that apply to one Service port for one client namespace.
//
// Contract: pure over the RouteIndex. The routes are chosen by src/routes' routesForTarget (the
// client namespace's consumer routes when it has any attached to the Service and port, else the
// Service namespace's producer routes; a client without a namespace gets the producer routes),
// oldest first, then by namespace/name. A parentRef's sectionName is compared with the Service
// port's name when the Service is known.

import type { ServiceObject } from '../../src/k8s/index.ts';
import { routesForTarget } from '../../src/routes/index.ts';
import type { ServedRoute } from './route-index.ts';

/** What gatewayRoutesFor reads routes from (a RouteIndex). */
export interface RouteLookup {
  attachedTo(namespace: string, name: string): readonly ServedRoute[];
}

export interface GatewayRoutesTarget {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  readonly clientNamespace: string | undefined;
}

/** The JSON of each route that applies to `target`, in a stable order. */
export function gatewayRoutesFor(
  routes: RouteLookup,
  target: GatewayRoutesTarget,
  service: ServiceObject | undefined,
): string[] {
  const attached = routes.attachedTo(target.namespace, target.name);
  if (attached.length === 0) return [];
  const portName = service?.spec?.ports?.find((p) => p.port === target.port)?.name;
  const parent = {
    namespace: target.namespace,
    name: target.name,
    port: target.port,
    ...(portName === undefined || portName === '' ? {} : { portName }),
  };
  const byRoute = new Map(attached.map((served) => [served.route, served.json]));
  const chosen = routesForTarget([...byRoute.keys()], {
    parent,
    clientNamespace: target.clientNamespace ?? target.namespace,
  });
  return chosen.map((route) => byRoute.get(route) ?? '');
}
