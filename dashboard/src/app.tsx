// The page: polls the snapshot every interval and lays out the topology, the workloads with their
// charts, the edges, the routes and the traffic splits.

import { useEffect, useState } from 'preact/hooks';
import { fetchSnapshot, type DashboardSnapshot } from './api.ts';
import { WorkloadCharts } from './charts.tsx';
import { EdgesTable, RoutesTable, SplitsTable, WorkloadsTable } from './tables.tsx';
import { Topology } from './topology.tsx';

const RETRY_MS = 2000;

export function App() {
  const [snapshot, setSnapshot] = useState<DashboardSnapshot | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    const stop = new AbortController();
    let timer: number | undefined;
    const poll = async (): Promise<void> => {
      let next = RETRY_MS;
      try {
        const s = await fetchSnapshot(stop.signal);
        setSnapshot(s);
        setError(undefined);
        next = s.intervalMs;
      } catch (err) {
        if (stop.signal.aborted) return;
        setError(err instanceof Error ? err.message : String(err));
      }
      timer = window.setTimeout(() => void poll(), next);
    };
    void poll();
    return () => {
      stop.abort();
      window.clearTimeout(timer);
    };
  }, []);

  return (
    <main>
      <header>
        <h1>nodemesh</h1>
        <span class="muted">local mesh dashboard</span>
        <span class="spacer" />
        {snapshot !== undefined && (
          <span class="muted">
            round <b data-testid="snapshot-seq">{snapshot.seq}</b> at{' '}
            <time data-testid="snapshot-taken-at" dateTime={snapshot.takenAt}>
              {new Date(snapshot.takenAt).toLocaleTimeString()}
            </time>{' '}
            · every {snapshot.intervalMs / 1000}s
          </span>
        )}
      </header>
      {error !== undefined && (
        <p class="problem" data-testid="fetch-error">
          {error}
        </p>
      )}
      {snapshot === undefined ? (
        <p class="muted">waiting for the first round of scrapes…</p>
      ) : snapshot.problem !== null ? (
        <p class="problem" data-testid="snapshot-problem">
          {snapshot.problem}
        </p>
      ) : (
        <Body snapshot={snapshot} />
      )}
    </main>
  );
}

function Body({ snapshot }: { snapshot: DashboardSnapshot }) {
  return (
    <>
      <section class="grid2">
        <div class="card">
          <h2>Topology</h2>
          <Topology workloads={snapshot.workloads} edges={snapshot.edges} />
        </div>
        <div class="card">
          <h2>Edges</h2>
          <EdgesTable edges={snapshot.edges} />
        </div>
      </section>
      <section class="card">
        <h2>Workloads</h2>
        <WorkloadsTable workloads={snapshot.workloads} />
      </section>
      <section class="card">
        <h2>Last minutes</h2>
        <WorkloadCharts history={snapshot.history} workloads={snapshot.workloads.map((w) => w.workload)} />
      </section>
      <section class="card">
        <h2>Routes</h2>
        <RoutesTable routes={snapshot.routes} />
      </section>
      <section class="card">
        <h2>Traffic splits</h2>
        <SplitsTable splits={snapshot.splits} />
      </section>
    </>
  );
}
