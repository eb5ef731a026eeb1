// One metrics registry per process (our own library, ./core), with process metrics and a
// build-info gauge.
//
// Contract: there is no global registry; each process (and each test) makes its own with
// createRegistry and passes it to whatever records metrics.

import { Gauge, Registry, collectDefaultMetrics } from './core/index.ts';

export interface CreateRegistryOptions {
  /** The role of the process, used in build info: proxy, destination, identity, injector. */
  readonly component: string;
  readonly version: string;
  /** process_* and nodejs_* metrics (default true; tests turn them off for exact output). */
  readonly collectDefaults?: boolean;
}

export function createRegistry(opts: CreateRegistryOptions): Registry {
  const registry = new Registry();
  if (opts.collectDefaults ?? true) collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: 'nodemesh_build_info',
    help: 'Build information of this nodemesh process; the value is always 1.',
    labelNames: ['component', 'version', 'node_version'],
    registers: [registry],
  });
  buildInfo.set({ component: opts.component, version: opts.version, node_version: process.version }, 1);
  return registry;
}

/** The Prometheus text exposition of `registry` with its content type. */
export async function exposition(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
