// Scenario "footprint": the memory of one proxy (issue 13 (7)) — RSS and USS (private memory:
// Private_Clean + Private_Dirty of /proc/<pid>/smaps_rollup) of each proxy of a pair with mTLS,
// idle (started, certified, no request yet), under load, after the load, and with many idle
// client connections held open to the client-side proxy (default 10,000: one request each, then
// silent keep-alive). Goals for the nodemesh proxies: idle USS ≤ 30 MB and RSS ≤ 70 MB; under load
// USS ≤ 60 MB and RSS ≤ 100 MB. haproxy's pair is measured the same way as the reference; "direct"
// has no proxy to measure.
//
// nodemesh runs from its sources (what `npm start` runs; Node strips the types while loading) and,
// with `build`, also compiled by `tsc -p tsconfig.build.json` (what the image runs). Processes
// and CPU layout: bench/lib/pair-topology.ts, started with open-file limits raised (prlimit) for
// the connections. The proxies run as a pod runs them: the chart's proxy.nodeOptions, the image's
// environment (MALLOC_ARENA_MAX) and the proxy's own V8 memory setting
// (bench/lib/proxy-node-options.ts, proxy/v8-memory.ts). Memory is not measured interleaved: it
// does not drift like throughput does.

import { buildDist } from '../lib/build-dist.ts';
import type { Child } from '../lib/children.ts';
import { openIdleConnections } from '../lib/idle-connections.ts';
import { requireTools, type LoadResult } from '../lib/load-tools.ts';
import type { NodemeshUnderTest } from '../lib/nodemesh-version.ts';
import { NODEMESH_SOURCE_BIN } from '../lib/nodemesh-pair.ts';
import { loadPath } from '../lib/pair-load.ts';
import { startPairTopology, type PairTopology } from '../lib/pair-topology.ts';
import { memorySample, type MemorySample } from '../lib/proc.ts';
import { nodemeshBinOption, serverNodeOptions, verdict, type BenchScenario } from '../lib/scenario.ts';
import { round } from '../lib/stats.ts';

export interface FootprintOptions {
  readonly idleConnections: number;
  readonly loadConnections: number;
  readonly loadDurationMs: number;
  /** Quiet time before each idle sample. */
  readonly settleMs: number;
  readonly pin: boolean;
  /** Also measure nodemesh compiled to JavaScript (as the image runs it). */
  readonly build: boolean;
  readonly nodemeshBin?: string;
  readonly proxyNodeOptions?: string;
  /** A running topology with the h1 kind (smoke tests); `build` is then ignored. */
  readonly topology?: PairTopology;
}

/** Memory of the client-side and the server-side proxy, MB. */
export interface PairMemory {
  readonly client: MemorySample;
  readonly server: MemorySample;
}

export interface FootprintSubject {
  readonly subject: string;
  readonly config: 'haproxy-pair' | 'nodemesh-pair';
  readonly nodemesh?: NodemeshUnderTest;
  readonly idle: PairMemory;
  /** The highest RSS and USS sampled (every 250 ms) while loaded, each on its own. */
  readonly underLoad: PairMemory & { readonly load: LoadResult; readonly tool: string };
  readonly afterLoad: PairMemory;
  readonly connections: {
    readonly requested: number;
    readonly open: number;
    readonly failed: number;
    readonly firstError: string | undefined;
    /** Still open when the memory was sampled. */
    readonly alive: number;
    readonly held: PairMemory;
    /** (USS with the connections − USS after load) ÷ connections, client side, KB. */
    readonly clientUssKbPerConnection: number;
  };
}

export interface FootprintGoals {
  readonly idleUssMb: { readonly goal: number; readonly worst: number; readonly met: boolean };
  readonly idleRssMb: { readonly goal: number; readonly worst: number; readonly met: boolean };
  readonly loadUssMb: { readonly goal: number; readonly worst: number; readonly met: boolean };
  readonly loadRssMb: { readonly goal: number; readonly worst: number; readonly met: boolean };
}

export interface FootprintResult {
  readonly scenario: 'footprint';
  /** The proxies' open-file limit (bounds the connections a proxy can hold). */
  readonly fileLimit: number | undefined;
  readonly pinned: boolean;
  readonly layout: string;
  readonly subjects: readonly FootprintSubject[];
  /** Per nodemesh subject: the worst of its two proxies against each goal. */
  readonly goals: Readonly<Record<string, FootprintGoals>>;
}

export async function runFootprintBench(o: FootprintOptions): Promise<FootprintResult> {
  requireTools(['wrk']);
  const subjects: FootprintSubject[] = [];
  const start = (bin: string | undefined): Promise<PairTopology> =>
    startPairTopology({
      kinds: ['h1'],
      pin: o.pin,
      maxConnections: o.idleConnections,
      ...(bin === undefined ? {} : { nodemeshBin: bin }),
      ...(o.proxyNodeOptions === undefined ? {} : { proxyNodeOptions: o.proxyNodeOptions }),
    });
  let layout = '';
  let pinned = false;
  let fileLimit: number | undefined;
  const measureIn = async (
    topology: PairTopology,
    which: readonly { subject: string; config: FootprintSubject['config'] }[],
  ): Promise<void> => {
    layout = topology.layout;
    pinned = topology.pinned;
    fileLimit = topology.fileLimit;
    for (const w of which) subjects.push(await measureSubject(topology, w.subject, w.config, o));
  };
  if (o.topology !== undefined) {
    await measureIn(o.topology, [
      { subject: 'haproxy', config: 'haproxy-pair' },
      { subject: 'nodemesh', config: 'nodemesh-pair' },
    ]);
  } else {
    const sourceBin = o.nodemeshBin ?? NODEMESH_SOURCE_BIN;
    const first = await start(o.nodemeshBin);
    try {
      await measureIn(first, [
        { subject: 'haproxy', config: 'haproxy-pair' },
        { subject: 'nodemesh (sources)', config: 'nodemesh-pair' },
      ]);
    } finally {
      await first.stop();
    }
    if (o.build) {
      const dist = await buildDist(sourceBin);
      const second = await start(dist);
      try {
        await measureIn(second, [{ subject: 'nodemesh (compiled)', config: 'nodemesh-pair' }]);
      } finally {
        await second.stop();
      }
    }
  }
  const goals: Record<string, FootprintGoals> = {};
  for (const s of subjects) {
    if (s.config !== 'nodemesh-pair') continue;
    const worst = (f: (m: MemorySample) => number, p: PairMemory): number =>
      round(Math.max(f(p.client), f(p.server)), 1);
    const goal = (limit: number, value: number): { goal: number; worst: number; met: boolean } => ({
      goal: limit,
      worst: value,
      met: value <= limit,
    });
    goals[s.subject] = {
      idleUssMb: goal(
        30,
        worst((m) => m.ussMb, s.idle),
      ),
      idleRssMb: goal(
        70,
        worst((m) => m.rssMb, s.idle),
      ),
      loadUssMb: goal(
        60,
        worst((m) => m.ussMb, s.underLoad),
      ),
      loadRssMb: goal(
        100,
        worst((m) => m.rssMb, s.underLoad),
      ),
    };
  }
  return { scenario: 'footprint', fileLimit, pinned, layout, subjects, goals };
}

async function measureSubject(
  topology: PairTopology,
  subject: string,
  config: FootprintSubject['config'],
  o: FootprintOptions,
): Promise<FootprintSubject> {
  const [client, server] = topology.proxies(config) as [Child, Child];
  const both = (): PairMemory => ({ client: mb(memorySample(client.pid)), server: mb(memorySample(server.pid)) });
  await sleep(o.settleMs);
  const idle = both();
  await topology.preflightPath(config, 'h1');

  // Under load: sample while wrk runs; keep the highest RSS and USS of each side.
  let peak = both();
  const loading = loadPath(requireTools(['wrk']), topology.path(config, 'h1'), {
    connections: o.loadConnections,
    streams: 1,
    durationMs: o.loadDurationMs,
    dir: '',
    label: `${config}-footprint`,
    ...(topology.restCpu === undefined ? {} : { cpu: topology.restCpu }),
  });
  let done = false;
  void loading.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    await sleep(250);
    const now = both();
    peak = { client: higher(peak.client, now.client), server: higher(peak.server, now.server) };
  }
  const load = await loading;
  await sleep(o.settleMs);
  const afterLoad = both();

  // Many idle client connections to the client side.
  const p = topology.path(config, 'h1');
  const idleConns = await openIdleConnections({
    host: p.host,
    port: p.port,
    authority: p.authority,
    count: o.idleConnections,
  });
  try {
    await sleep(o.settleMs);
    const held = both();
    const alive = idleConns.alive();
    return {
      subject,
      config,
      ...(config === 'nodemesh-pair' ? { nodemesh: topology.nodemesh } : {}),
      idle,
      underLoad: { ...peak, load, tool: `wrk -t1 -c${o.loadConnections}, ${o.loadDurationMs / 1000} s` },
      afterLoad,
      connections: {
        requested: o.idleConnections,
        open: idleConns.open,
        failed: idleConns.failed,
        firstError: idleConns.firstError,
        alive,
        held,
        clientUssKbPerConnection:
          idleConns.open === 0
            ? Number.NaN
            : round(((held.client.ussMb - afterLoad.client.ussMb) * 1024) / idleConns.open, 2),
      },
    };
  } finally {
    idleConns.close();
    await sleep(500);
  }
}

function mb(m: MemorySample): MemorySample {
  return {
    rssMb: round(m.rssMb, 1),
    ussMb: round(m.ussMb, 1),
    pssMb: round(m.pssMb, 1),
    peakRssMb: round(m.peakRssMb, 1),
  };
}

function higher(a: MemorySample, b: MemorySample): MemorySample {
  return {
    rssMb: Math.max(a.rssMb, b.rssMb),
    ussMb: Math.max(a.ussMb, b.ussMb),
    pssMb: Math.max(a.pssMb, b.pssMb),
    peakRssMb: Math.max(a.peakRssMb, b.peakRssMb),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function footprintMarkdown(r: FootprintResult): string {
  const cell = (m: MemorySample): string => `${m.rssMb} / ${m.ussMb}`;
  const rows = r.subjects.flatMap((s) => [
    `| ${s.subject} | client side | ${cell(s.idle.client)} | ${cell(s.underLoad.client)} | ${cell(s.afterLoad.client)} | ${cell(s.connections.held.client)} | ${s.connections.alive} of ${s.connections.requested}${s.connections.failed > 0 ? ` (${s.connections.failed} failed: ${s.connections.firstError ?? '?'})` : ''} | ${s.connections.clientUssKbPerConnection} |`,
    `| | server side | ${cell(s.idle.server)} | ${cell(s.underLoad.server)} | ${cell(s.afterLoad.server)} | ${cell(s.connections.held.server)} | | |`,
  ]);
  const loads = r.subjects.map(
    (s) =>
      `${s.subject}: ${s.underLoad.tool} → ${Math.round(s.underLoad.load.requestsPerSecond)} requests/s, ${s.underLoad.load.errors} errors.`,
  );
  const goalRows = Object.entries(r.goals).flatMap(([subject, g]) => [
    `| ${subject} | idle USS ≤ ${g.idleUssMb.goal} MB | ${g.idleUssMb.worst} | ${verdict(g.idleUssMb.met)} |`,
    `| ${subject} | idle RSS ≤ ${g.idleRssMb.goal} MB | ${g.idleRssMb.worst} | ${verdict(g.idleRssMb.met)} |`,
    `| ${subject} | under load USS ≤ ${g.loadUssMb.goal} MB | ${g.loadUssMb.worst} | ${verdict(g.loadUssMb.met)} |`,
    `| ${subject} | under load RSS ≤ ${g.loadRssMb.goal} MB | ${g.loadRssMb.worst} | ${verdict(g.loadRssMb.met)} |`,
  ]);
  const nodemesh = r.subjects.find((s) => s.nodemesh !== undefined)?.nodemesh;
  return [
    'RSS / USS in MB (USS = Private_Clean + Private_Dirty from /proc/<pid>/smaps_rollup). Idle: started and certified, before any request. Under load: the highest RSS and the highest USS sampled every 250 ms. Connections: held open to the client side, one request each, then idle.',
    `Layout: ${r.layout}. Open-file limit of the proxies: ${r.fileLimit ?? 'default'}.${nodemesh === undefined ? '' : ` nodemesh commit ${nodemesh.commit.slice(0, 12)}${nodemesh.dirty === true ? ' with uncommitted changes' : ''}.`}`,
    '',
    '| subject | proxy | idle | under load (max) | after load | with idle connections | connections open | client side USS KB per connection |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...loads,
    '',
    '| subject | goal (each proxy of the pair) | worst of the two, MB | verdict |',
    '| --- | --- | --- | --- |',
    ...goalRows,
  ].join('\n');
}

/** `--duration` is the load phase (default 10 s); `--concurrency` the idle connections (default 10,000). */
export function footprintScenario(): BenchScenario {
  return {
    describe:
      'Footprint of one proxy of an mTLS pair: RSS and USS idle, under load (wrk -c50), after load, and with 10,000 idle client connections; haproxy pair as reference; nodemesh from sources and compiled',
    run: async ({ durationMs, concurrency }) => {
      const result = await runFootprintBench({
        idleConnections: concurrency ?? 10_000,
        loadConnections: 50,
        loadDurationMs: durationMs,
        settleMs: 3000,
        pin: true,
        build: true,
        ...serverNodeOptions(),
        ...nodemeshBinOption(),
      });
      return { json: result, markdown: footprintMarkdown(result) };
    },
  };
}
