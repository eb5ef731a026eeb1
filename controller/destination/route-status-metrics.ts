// The route status controller's metric, registered once per registry.
//
// - route_status_writes_total{kind,result}: reconciles of a route's status by result: `written`
//   (the status subresource was replaced), `unchanged` (nothing to write), `conflict` (409: the
//   route changed since the cache saw it; retried), `error` (any other failure; retried, then
//   dropped). A 404 (the route was deleted meanwhile) is not counted.

import { Counter, type Registry } from '../../src/metrics/index.ts';

export type RouteStatusResult = 'written' | 'unchanged' | 'conflict' | 'error';

export interface RouteStatusMetrics {
  readonly writes: Counter<'kind' | 'result'>;
}

export function createRouteStatusMetrics(registry: Registry): RouteStatusMetrics {
  return {
    writes: new Counter({
      name: 'route_status_writes_total',
      help: 'Route status reconciles by kind and result (written, unchanged, conflict, error).',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
  };
}
