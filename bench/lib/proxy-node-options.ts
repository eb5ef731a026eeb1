// The proxy's NODE_OPTIONS as deployed: `proxy.nodeOptions` of the control plane chart's
// values.yaml, which the injector puts into every injected proxy container (ADR 0011). The pair
// scenarios run their nodemesh proxies with it, so they measure what a pod runs; a scenario's
// own `proxyNodeOptions` (profiling, A/B) replaces it.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const VALUES = fileURLToPath(new URL('../../charts/nodemesh-control-plane/values.yaml', import.meta.url));

/** `proxy.nodeOptions` of the chart's values.yaml ('' when unset). */
export function chartProxyNodeOptions(valuesFile: string = VALUES): string {
  const values = parse(readFileSync(valuesFile, 'utf8')) as { proxy?: { nodeOptions?: unknown } } | null;
  const v = values?.proxy?.nodeOptions;
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Error(`${valuesFile}: proxy.nodeOptions must be a string, got ${typeof v}`);
  return v;
}
