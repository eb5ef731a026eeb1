// The destination service's own metrics, registered once on the process registry.
//
// - destination_streams{method}: open Get / GetProfile streams (gauge).
// - destination_stream_queue_overflow_total{method}: streams closed because their queue overflowed
//   (Linkerd's endpoint_updates_queue_overflow).
// - destination_reconcile_errors_total{watcher}: reconciles that threw (a bug; the key is dropped).

import { Counter, Gauge, type Registry } from '../../src/metrics/index.ts';

export type DestinationMethod = 'get' | 'get_profile';

export interface DestinationMetrics {
  readonly streams: Gauge<'method'>;
  readonly queueOverflows: Counter<'method'>;
  readonly reconcileErrors: Counter<'watcher'>;
}

export function createDestinationMetrics(registry: Registry): DestinationMetrics {
  return {
    streams: new Gauge({
      name: 'destination_streams',
      help: 'Open Get and GetProfile streams.',
      labelNames: ['method'],
      registers: [registry],
    }),
    queueOverflows: new Counter({
      name: 'destination_stream_queue_overflow_total',
      help: 'Streams closed with RESOURCE_EXHAUSTED because their update queue overflowed.',
      labelNames: ['method'],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'destination_reconcile_errors_total',
      help: 'Reconciles that threw; the key was dropped until its next event.',
      labelNames: ['watcher'],
      registers: [registry],
    }),
  };
}
