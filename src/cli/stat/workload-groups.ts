// Gathering scraped proxies into workloads: the pods of one Deployment (same namespace, same
// workload) are one row of `stat` and `routes`. In the local mesh every proxy is its own workload.

import type { ScrapePair } from './scrape.ts';
import type { ProxyTarget } from './proxy-target.ts';

export interface ScrapedTarget {
  readonly target: ProxyTarget;
  readonly pair: ScrapePair;
}

export interface WorkloadGroup {
  readonly workload: string;
  readonly namespace: string | undefined;
  readonly members: readonly ScrapedTarget[];
}

/** Groups targets (with their scrapes, same order) by namespace and workload, in first-seen order. */
export function groupByWorkload(targets: readonly ProxyTarget[], pairs: readonly ScrapePair[]): WorkloadGroup[] {
  const groups = new Map<string, { workload: string; namespace: string | undefined; members: ScrapedTarget[] }>();
  targets.forEach((target, i) => {
    const key = `${target.namespace ?? ''}\u0000${target.workload}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { workload: target.workload, namespace: target.namespace, members: [] };
      groups.set(key, group);
    }
    group.members.push({ target, pair: pairs[i] ?? { error: 'not scraped' } });
  });
  return [...groups.values()];
}

/** The members whose two scrapes both answered, and those that did not (with why). */
export function splitScraped<T>(
  members: readonly ScrapedTarget[],
  map: (pair: Extract<ScrapePair, { before: unknown }>) => T,
): { readonly ok: T[]; readonly failed: { readonly pod: string; readonly address: string; readonly error: string }[] } {
  const ok: T[] = [];
  const failed: { pod: string; address: string; error: string }[] = [];
  for (const m of members) {
    if ('error' in m.pair) failed.push({ pod: m.target.name, address: m.target.address, error: m.pair.error });
    else ok.push(map(m.pair));
  }
  return { ok, failed };
}

/** The mean of the members' windows (ms), for reports. */
export function meanWindowMs(members: readonly ScrapedTarget[]): number {
  const windows = members.flatMap((m) => ('windowMs' in m.pair ? [m.pair.windowMs] : []));
  return windows.length === 0 ? 0 : windows.reduce((a, b) => a + b, 0) / windows.length;
}
