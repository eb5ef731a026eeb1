// The proxy's NODE_OPTIONS as deployed: `proxy.nodeOptions` of the control plane chart's
// values.yaml, which the injector puts into every injected proxy container (ADR 0011). The pair
// scenarios run their nodemesh proxies with it, so they measure what a pod runs; a scenario's
// own `proxyNodeOptions` (profiling, A/B) replaces it. Likewise the environment the image gives
// every container (the Dockerfile's ENV lines, e.g. MALLOC_ARENA_MAX, ADR 0024): the proxies the
// benchmarks start get it too.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const VALUES = fileURLToPath(new URL('../../charts/nodemesh-control-plane/values.yaml', import.meta.url));
const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));

/** `proxy.nodeOptions` of the chart's values.yaml ('' when unset). */
export function chartProxyNodeOptions(valuesFile: string = VALUES): string {
  const values = parse(readFileSync(valuesFile, 'utf8')) as { proxy?: { nodeOptions?: unknown } } | null;
  const v = values?.proxy?.nodeOptions;
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Error(`${valuesFile}: proxy.nodeOptions must be a string, got ${typeof v}`);
  return v;
}

/**
 * The environment the image sets for its containers: the `ENV NAME=value …` lines of the
 * Dockerfile's last stage (unquoted values only; anything else is refused, so the benchmark never
 * silently runs without a setting the image has).
 */
export function imageEnv(dockerfile: string = DOCKERFILE): Record<string, string> {
  const lines = readFileSync(dockerfile, 'utf8').split('\n');
  let from = 0;
  lines.forEach((line, i) => {
    if (/^FROM\s/i.test(line)) from = i;
  });
  const env: Record<string, string> = {};
  for (const line of lines.slice(from)) {
    const m = /^ENV\s+(.*)$/i.exec(line.trim());
    if (m === null) continue;
    for (const pair of m[1]!.trim().split(/\s+/)) {
      const kv = /^([A-Za-z_][A-Za-z0-9_]*)=([^"'\\$]*)$/.exec(pair);
      if (kv === null) throw new Error(`${dockerfile}: ENV ${pair} is not NAME=value (unquoted)`);
      env[kv[1]!] = kv[2]!;
    }
  }
  return env;
}

/** imageEnv() as `NAME=value …` for a results page. */
export function formatEnv(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
