// Traffic splits as the callers' proxies measured them, pure: per apex (the authority a caller
// addressed, or a Gateway API route's parent), how many requests went to each backend, next to the
// weights configured for it (ServiceProfile dstOverrides) when they are known.
//
// Contract: nothing here does I/O. ServiceProfile splits come from outbound request_total grouped by
// `authority` and `dst_service`; Gateway API ones from outbound_http_route_backend_requests_total by
// parent and backend_name. An apex shows only when it has more than one backend or a configured
// split: a plain call to one service is not a split.

import type { ParsedMetrics } from '../../metrics/index.ts';
import { counterDelta, ratio } from '../stat/stat-math.ts';
import type { SplitView } from './dashboard-api.ts';

/** A configured backend: its authority (or service name) and weight as written (`900m`, `90`). */
export interface ConfiguredBackend {
  readonly authority: string;
  readonly weight: string;
}

type Source = SplitView['source'];
type Counts = Map<string, { apex: string; source: Source; backends: Map<string, number> }>;

const GATEWAY_BACKENDS = 'outbound_http_route_backend_requests_total';

/** Per apex and backend, the cumulative requests of one scrape. */
export function splitCountsOf(metrics: ParsedMetrics): Counts {
  const counts: Counts = new Map();
  const add = (source: Source, apex: string, backend: string, value: number): void => {
    const key = `${source}\u0000${apex}`;
    let c = counts.get(key);
    if (c === undefined) counts.set(key, (c = { apex, source, backends: new Map() }));
    c.backends.set(backend, (c.backends.get(backend) ?? 0) + value);
  };
  for (const s of metrics.samples) {
    if (s.name === 'request_total' && s.labels.direction === 'outbound') {
      const apex = s.labels.authority;
      const backend = s.labels.dst_service ?? s.labels.target_addr;
      if (apex !== undefined && apex !== '' && backend !== undefined) add('serviceprofile', apex, backend, s.value);
    } else if (s.name === GATEWAY_BACKENDS) {
      const { parent_name: name = '', parent_namespace: ns = '', parent_port: port = '' } = s.labels;
      const parent = ns === '' ? name : `${name}.${ns}`;
      add('gateway', port === '' ? parent : `${parent}:${port}`, s.labels.backend_name ?? '', s.value);
    }
  }
  return counts;
}

/** A Kubernetes quantity as a number (`900m` → 0.9), undefined when it is not one. */
export function parseWeight(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(text.trim());
  if (m === null) return undefined;
  return Number(m[1]) / (m[2] === 'm' ? 1000 : 1);
}

/** The ServiceProfile name (host without port) of an authority, if it is a cluster service name. */
export function profileHostOf(apex: string): string | undefined {
  const host = apex.replace(/:\d+$/, '');
  return /^[^.]+\.[^.]+\.svc\./.test(host) ? host : undefined;
}

/** The backend a configured authority names: its first DNS label (the Service name). */
function backendOf(authority: string): string {
  return authority.split('.')[0]?.replace(/:\d+$/, '') ?? authority;
}

/**
 * The splits of the mesh from every proxy's two scrapes, with the configured weights of
 * `configured` (by profile host) merged in; sorted by apex.
 */
export function splitViews(
  scrapes: readonly { readonly before: ParsedMetrics | undefined; readonly after: ParsedMetrics }[],
  configured: ReadonlyMap<string, readonly ConfiguredBackend[]>,
): SplitView[] {
  const merged = new Map<
    string,
    { apex: string; source: Source; window: Map<string, number>; total: Map<string, number> }
  >();
  for (const s of scrapes) {
    const before = s.before === undefined ? undefined : splitCountsOf(s.before);
    for (const [key, c] of splitCountsOf(s.after)) {
      let m = merged.get(key);
      if (m === undefined)
        merged.set(key, (m = { apex: c.apex, source: c.source, window: new Map(), total: new Map() }));
      for (const [backend, value] of c.backends) {
        const old = before?.get(key)?.backends.get(backend);
        const d = old === undefined ? (before === undefined ? 0 : value) : counterDelta(old, value);
        m.window.set(backend, (m.window.get(backend) ?? 0) + d);
        m.total.set(backend, (m.total.get(backend) ?? 0) + value);
      }
    }
  }

  const views: SplitView[] = [];
  for (const m of merged.values()) {
    const host = m.source === 'serviceprofile' ? profileHostOf(m.apex) : undefined;
    const config = host === undefined ? [] : (configured.get(host) ?? []);
    const weights = new Map<string, number>();
    for (const b of config) {
      const w = parseWeight(b.weight);
      if (w !== undefined) weights.set(backendOf(b.authority), (weights.get(backendOf(b.authority)) ?? 0) + w);
    }
    const names = new Set([...m.total.keys(), ...weights.keys()]);
    if (names.size < 2 && weights.size === 0) continue;
    const windowSum = [...m.window.values()].reduce((a, b) => a + b, 0);
    const weightSum = [...weights.values()].reduce((a, b) => a + b, 0);
    views.push({
      apex: m.apex,
      source: m.source,
      backends: [...names].sort().map((backend) => {
        const requests = m.window.get(backend) ?? 0;
        const weight = weights.get(backend);
        return {
          backend,
          requests,
          share: ratio(requests, windowSum) ?? null,
          total: m.total.get(backend) ?? 0,
          configuredWeight: weight ?? null,
          configuredShare: weight === undefined ? null : (ratio(weight, weightSum) ?? null),
        };
      }),
    });
  }
  return views.sort((a, b) => a.apex.localeCompare(b.apex) || a.source.localeCompare(b.source));
}
