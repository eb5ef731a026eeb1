// Reading the server's snapshot (GET /api/snapshot, same origin).

import type { DashboardSnapshot, EdgeView } from '../../src/cli/dashboard/dashboard-api.ts';

export type { DashboardSnapshot, EdgeView };
export type {
  WorkloadView,
  DirectionView,
  RouteView,
  SplitView,
  HistoryPoint,
} from '../../src/cli/dashboard/dashboard-api.ts';

export async function fetchSnapshot(signal: AbortSignal): Promise<DashboardSnapshot> {
  const res = await fetch('/api/snapshot', { signal, cache: 'no-store' });
  if (!res.ok) throw new Error(`GET /api/snapshot answered ${res.status}`);
  return (await res.json()) as DashboardSnapshot;
}

/** A stable name of an edge for test ids: `src->dst`, an unknown caller with its identity. */
export function edgeKey(e: EdgeView): string {
  const src = !e.srcKnown && e.srcId !== null ? `${e.src}(${e.srcId})` : e.src;
  return `${src}->${e.dst}`;
}
