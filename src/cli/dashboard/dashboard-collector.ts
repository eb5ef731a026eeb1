// The dashboard's background scraper: every interval, one round of scrapes of every proxy of the
// mesh, paired with the previous round, turned into a snapshot (dashboard-view.ts) and a point of
// chart history kept for a few minutes in memory.
//
// Contract: rounds never overlap (the next waits for the previous one to end, then the interval);
// each proxy's scrape is bounded by the scrape timeout, so a round is too. start() begins the loop,
// close() stops it and resolves when the round in flight has ended. The mesh is read again every
// round, so a restarted mesh is picked up; a proxy whose admin address changed starts warming again.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../log/index.ts';
import type { MeshComponent } from '../stat/mesh-state.ts';
import type { ScrapeResult } from '../stat/scrape.ts';
import type { DashboardSnapshot, HistoryPoint } from './dashboard-api.ts';
import { profileHostOf, splitCountsOf, type ConfiguredBackend } from './dashboard-split.ts';
import { buildRoundView, historyPoint, type ProxyRound, type TimedMetrics } from './dashboard-view.ts';

/** What the mesh looks like this round: its proxies and its resources folder, or why there is none. */
export type MeshView =
  { readonly proxies: readonly MeshComponent[]; readonly resources: string | undefined } | { readonly problem: string };

export interface DashboardCollectorDeps {
  readonly readMesh: () => Promise<MeshView>;
  /** One bounded scrape of a proxy (scrapeMetrics). */
  readonly scrape: (proxy: MeshComponent, signal: AbortSignal) => Promise<ScrapeResult>;
  /** The configured split of a ServiceProfile host in `resources` (empty when none). */
  readonly readSplit: (resources: string, host: string) => Promise<readonly ConfiguredBackend[]>;
  /** Wall-clock milliseconds, for timestamps. */
  readonly now: () => number;
  readonly log: Logger;
}

export interface DashboardCollectorOptions {
  readonly intervalMs: number;
  /** How much chart history to keep (default 5 minutes). */
  readonly historyMs?: number;
}

const DEFAULT_HISTORY_MS = 5 * 60_000;

export class DashboardCollector {
  readonly #deps: DashboardCollectorDeps;
  readonly #intervalMs: number;
  readonly #historyMs: number;
  readonly #previous = new Map<string, TimedMetrics>();
  readonly #history: HistoryPoint[] = [];
  readonly #stop = new AbortController();
  #seq = 0;
  #current: DashboardSnapshot | undefined;
  #loop: Promise<void> | undefined;

  constructor(deps: DashboardCollectorDeps, opts: DashboardCollectorOptions) {
    this.#deps = deps;
    this.#intervalMs = opts.intervalMs;
    this.#historyMs = opts.historyMs ?? DEFAULT_HISTORY_MS;
  }

  /** The last round's snapshot, undefined before the first round ends. */
  get current(): DashboardSnapshot | undefined {
    return this.#current;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await this.round();
      } catch (err) {
        this.#deps.log.warn({ err }, 'dashboard round failed');
      }
      try {
        await sleep(this.#intervalMs, undefined, { signal });
      } catch {
        return; // closed
      }
    }
  }

  /** Runs one round now and returns its snapshot (the loop calls it; tests may too). */
  async round(): Promise<DashboardSnapshot> {
    const mesh = await this.#deps.readMesh();
    const seq = ++this.#seq;
    if ('problem' in mesh) {
      this.#previous.clear();
      return this.#publish({ seq, problem: mesh.problem, workloads: [], routes: [], edges: [], splits: [] });
    }
    const results = await Promise.all(mesh.proxies.map((p) => this.#deps.scrape(p, this.#stop.signal)));
    const rounds: ProxyRound[] = mesh.proxies.map((component, i) => ({
      component,
      previous: this.#previous.get(keyOf(component)),
      current: results[i] ?? { error: 'not scraped' },
    }));
    this.#previous.clear();
    for (const r of rounds) if (!('error' in r.current)) this.#previous.set(keyOf(r.component), r.current);

    const configured = new Map<string, readonly ConfiguredBackend[]>();
    if (mesh.resources !== undefined) {
      const hosts = new Set<string>();
      for (const r of rounds) {
        if ('error' in r.current) continue;
        for (const c of splitCountsOf(r.current.metrics).values()) {
          const host = c.source === 'serviceprofile' ? profileHostOf(c.apex) : undefined;
          if (host !== undefined) hosts.add(host);
        }
      }
      for (const host of hosts) {
        try {
          configured.set(host, await this.#deps.readSplit(mesh.resources, host));
        } catch (err) {
          this.#deps.log.debug({ err, host }, 'could not read the configured split');
        }
      }
    }
    return this.#publish({ seq, problem: null, ...buildRoundView(rounds, configured) });
  }

  #publish(view: Omit<DashboardSnapshot, 'takenAt' | 'intervalMs' | 'history'>): DashboardSnapshot {
    const now = this.#deps.now();
    if (view.problem === null) {
      this.#history.push(historyPoint(now / 1000, view.workloads));
      const oldest = (now - this.#historyMs) / 1000;
      while ((this.#history[0]?.t ?? oldest) < oldest) this.#history.shift();
    }
    const snapshot: DashboardSnapshot = {
      ...view,
      takenAt: new Date(now).toISOString(),
      intervalMs: this.#intervalMs,
      history: [...this.#history],
    };
    this.#current = snapshot;
    return snapshot;
  }
}

function keyOf(c: MeshComponent): string {
  return `${c.name}\u0000${c.addresses.admin ?? ''}`;
}
