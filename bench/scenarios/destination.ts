// Scenario "destination": endpoint fan-out of one destination controller, as the destination issue
// asks: 1,000 subscribed Get streams over Services totalling 10,000 endpoints, endpoints changing
// at 100 per second; p99 time from a change to its arrival on every stream, controller CPU and
// memory (goal: p99 under 100 ms, memory under 300 MB).
//
// Processes, all on loopback:
//   fake API   src/k8s/fake-api-server.ts in this process: the cluster (bench/lib/destination-cluster.ts)
//              and its churn; the controller's informers list and watch it over HTTP
//   controller `nodemesh destination` with NODEMESH_DESTINATION_SOURCE=kubernetes and a KUBECONFIG
//              naming the fake API server: the production path (client-node informers)
//   clients    bench/lib/destination-clients.ts: the Get streams, in their own process
// CPU layout (2+ CPUs, taskset): the controller on CPU 0; this harness and the clients on CPU 1.
//
// A change is made at a time t (wall clock, sub-ms); it has arrived when every stream on its
// Service has seen both the new address and the removal of the old one; its latency is the latest
// of those arrivals minus t. Only changes made in the measured window count; afterwards the harness
// waits for stragglers (up to `drainMs`), then checks every stream's final set against the cluster.

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/net/index.ts';
import { FakeApiServer } from '../../src/k8s/testing.ts';
import { parsePrometheusText } from '../../src/metrics/index.ts';
import { Children, canPin, pinSelf, sleep, waitHttpReady } from '../lib/children.ts';
import { BenchCluster, fingerprint, type EndpointChange } from '../lib/destination-cluster.ts';
import type { ClientsReport, ClientsSpec } from '../lib/destination-clients.ts';
import { cpuSeconds, memoryMb } from '../lib/proc.ts';
import { round, summarize, type LatencySummary } from '../lib/stats.ts';

const BIN = fileURLToPath(new URL('../../bin/nodemesh.ts', import.meta.url));
const CLIENTS = fileURLToPath(new URL('../lib/destination-clients.ts', import.meta.url));

export interface DestinationBenchOptions {
  readonly services: number;
  readonly endpointsPerService: number;
  readonly namespaces: number;
  readonly streams: number;
  /** gRPC connections the streams are spread over (each a separate TCP connection). */
  readonly connections: number;
  readonly changesPerSecond: number;
  readonly durationMs: number;
  /** Churn before the measured window (JIT, caches). */
  readonly warmupMs: number;
  /** How long to wait after the window for changes still on their way. */
  readonly drainMs: number;
  /** Pin the controller to CPU 0 and everything else to CPU 1. */
  readonly pin: boolean;
  /** NODE_OPTIONS of the controller (profiling). */
  readonly serverNodeOptions?: string;
  /** More environment for the controller (settings to compare, e.g. a NODEMESH_DESTINATION_* variable). */
  readonly serverEnv?: Readonly<Record<string, string>>;
}

export interface DestinationBenchResult {
  readonly scenario: 'destination';
  readonly services: number;
  readonly endpoints: number;
  readonly namespaces: number;
  readonly streams: number;
  readonly connections: number;
  readonly changesPerSecond: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly pinned: boolean;
  readonly podJsonBytes: number;
  /** From starting the controller to its readiness (caches synced). */
  readonly controllerReadyS: number;
  /** From the controller being ready to every stream having its first answer. */
  readonly streamsAnsweredS: number;
  readonly changesMade: number;
  readonly changesMeasured: number;
  /** Measured changes that had not reached every stream after the drain. */
  readonly changesIncomplete: number;
  /** Per change: from the change to its arrival on every stream of its Service. */
  readonly latency: LatencySummary;
  readonly controllerCpuSeconds: number;
  /** Share of one core the controller used in the measured window. */
  readonly controllerCoreUse: number;
  /**
   * Seconds the controller's main thread was ready to run but waited for a CPU in the window
   * (/proc/<pid>/schedstat): how much other work on the machine delayed it.
   */
  readonly controllerRunQueueWaitS: number;
  readonly controllerCpuMsPerChange: number;
  readonly controllerPeakRssMb: number;
  readonly controllerRssMbAtEnd: number;
  /** From the controller's /metrics at the end: V8 heap in use and reserved; event-loop lag p99 over the window. */
  readonly controllerHeapUsedMb: number;
  readonly controllerHeapTotalMb: number;
  readonly controllerEventLoopLagP99Ms: number;
  /** Streams closed because their queue overflowed (destination_stream_queue_overflow_total). */
  readonly queueOverflows: number;
  /** 1-minute load average of the machine at the start and the end (other work shares it). */
  readonly loadAverage: readonly [number, number];
  readonly clientsCpuSeconds: number;
  readonly messages: number;
  readonly streamErrors: number;
  readonly streamErrorSamples: readonly string[];
  /** Streams whose final endpoint set differs from the cluster's. */
  readonly streamsWrong: number;
  /** The controller's warnings and errors (its log level is `warn`), the first few. */
  readonly controllerWarnings: readonly string[];
  readonly goals: { readonly p99Ms: number; readonly peakRssMb: number };
}

export async function runDestinationBench(opts: DestinationBenchOptions): Promise<DestinationBenchResult> {
  const pin = opts.pin && canPin();
  const controllerCpu = pin ? 0 : undefined;
  const restCpu = pin ? 1 : undefined;
  const children = new Children();
  const api = new FakeApiServer();
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-destination-'));
  const loadStart = loadavg()[0] ?? Number.NaN;
  let clientsUrl: string | undefined;
  try {
    if (restCpu !== undefined) pinSelf(restCpu);
    await api.start();
    const lead = Math.max(1, Math.round(opts.changesPerSecond / 10));
    const cluster = new BenchCluster(api, opts, lead);
    const { podJsonBytes } = cluster.populate();
    const kubeconfig = path.join(dir, 'kubeconfig.json');
    await writeFile(kubeconfig, api.kubeConfig().exportConfig());

    const [grpcPort, adminPort, controlPort] = [await freePort(), await freePort(), await freePort()];
    const started = performance.now();
    const controller = children.start('nodemesh destination', process.execPath, [BIN, 'destination'], {
      env: {
        KUBECONFIG: kubeconfig,
        NODEMESH_DESTINATION_SOURCE: 'kubernetes',
        NODEMESH_DESTINATION_LISTEN_ADDR: `127.0.0.1:${grpcPort}`,
        NODEMESH_DESTINATION_ADMIN_LISTEN_ADDR: `127.0.0.1:${adminPort}`,
        NODEMESH_LOG_LEVEL: 'warn',
        ...opts.serverEnv,
        ...(opts.serverNodeOptions === undefined ? {} : { NODE_OPTIONS: opts.serverNodeOptions }),
      },
      ...(controllerCpu === undefined ? {} : { cpu: controllerCpu }),
    });
    await waitHttpReady(controller, `http://127.0.0.1:${adminPort}/ready`, 120_000);
    const metricsUrl = `http://127.0.0.1:${adminPort}/metrics`;
    const ready = performance.now();

    const paths = Array.from({ length: opts.services }, (_, i) => cluster.path(i));
    const spec: ClientsSpec = {
      target: `127.0.0.1:${grpcPort}`,
      controlPort,
      paths,
      streams: opts.streams,
      connections: Math.max(1, Math.min(opts.connections, opts.streams)),
    };
    const clients = children.start('destination clients', process.execPath, [CLIENTS, JSON.stringify(spec)], {
      ...(restCpu === undefined ? {} : { cpu: restCpu }),
    });
    clientsUrl = `http://127.0.0.1:${controlPort}`;
    await waitHttpReady(clients, `${clientsUrl}/ready`, 120_000);
    const answered = performance.now();

    // Churn: warm-up, then the measured window, then stop.
    const changes: { change: EndpointChange; measured: boolean }[] = [];
    let measuring = false;
    const churnStart = performance.now();
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - churnStart) * opts.changesPerSecond) / 1000) - changes.length;
      for (let i = 0; i < due; i++) changes.push({ change: cluster.change(), measured: measuring });
    }, 5);
    let cpu0 = Number.NaN;
    let t0 = 0;
    let cpu1 = Number.NaN;
    let wait0 = Number.NaN;
    let wait1 = Number.NaN;
    let elapsedS = 0;
    try {
      await sleep(opts.warmupMs);
      await controllerMetrics(metricsUrl); // resets the event-loop delay histogram
      measuring = true;
      cpu0 = cpuSeconds(controller.pid);
      wait0 = runQueueWaitSeconds(controller.pid);
      t0 = performance.now();
      await sleep(opts.durationMs);
      measuring = false;
      cpu1 = cpuSeconds(controller.pid);
      wait1 = runQueueWaitSeconds(controller.pid);
      elapsedS = (performance.now() - t0) / 1000;
    } finally {
      clearInterval(timer);
    }

    const perService = streamsPerService(opts.streams, opts.services);
    const measured = changes.filter((c) => c.measured).map((c) => c.change);
    const outcome = (report: ClientsReport, change: EndpointChange): number | undefined => {
      const need = perService[change.service] ?? 0;
      const add = report.arrivals[`+${change.added}`];
      const remove = report.arrivals[`-${change.removed}`];
      if (add === undefined || remove === undefined || add[0] < need || remove[0] < need) return undefined;
      return Math.max(add[1], remove[1]) - change.at;
    };
    let report = await fetchReport(clientsUrl);
    const drainDeadline = performance.now() + opts.drainMs;
    while (measured.some((c) => outcome(report, c) === undefined) && performance.now() < drainDeadline) {
      await sleep(200);
      report = await fetchReport(clientsUrl);
    }
    const latencies = measured.map((c) => outcome(report, c)).filter((v): v is number => v !== undefined);
    const memory = memoryMb(controller.pid);
    const metrics = await controllerMetrics(metricsUrl);
    const streamsWrong = report.streams.filter((s) => {
      const i = paths.indexOf(s.path);
      return s.fingerprint !== fingerprint(cluster.addresses(i));
    }).length;

    return {
      scenario: 'destination',
      services: opts.services,
      endpoints: opts.services * opts.endpointsPerService,
      namespaces: opts.namespaces,
      streams: opts.streams,
      connections: spec.connections,
      changesPerSecond: opts.changesPerSecond,
      durationS: round(elapsedS),
      warmupS: opts.warmupMs / 1000,
      pinned: pin,
      podJsonBytes,
      controllerReadyS: round((ready - started) / 1000),
      streamsAnsweredS: round((answered - ready) / 1000),
      changesMade: changes.length,
      changesMeasured: measured.length,
      changesIncomplete: measured.length - latencies.length,
      latency: summarize(latencies),
      controllerCpuSeconds: round(cpu1 - cpu0),
      controllerCoreUse: round((cpu1 - cpu0) / Math.max(elapsedS, 1e-9)),
      controllerRunQueueWaitS: round(wait1 - wait0),
      controllerCpuMsPerChange: round(((cpu1 - cpu0) * 1000) / Math.max(1, measured.length)),
      controllerPeakRssMb: round(memory.peakRssMb, 1),
      controllerRssMbAtEnd: round(memory.rssMb, 1),
      controllerHeapUsedMb: round(metrics('nodejs_heap_size_used_bytes') / 2 ** 20, 1),
      controllerHeapTotalMb: round(metrics('nodejs_heap_size_total_bytes') / 2 ** 20, 1),
      controllerEventLoopLagP99Ms: round(metrics('nodejs_eventloop_lag_p99_seconds') * 1000, 1),
      queueOverflows: metrics('destination_stream_queue_overflow_total') || 0,
      loadAverage: [round(loadStart, 2), round(loadavg()[0] ?? Number.NaN, 2)],
      clientsCpuSeconds: round(cpuSeconds(clients.pid)),
      messages: report.messages,
      streamErrors: report.errors,
      streamErrorSamples: report.errorSamples,
      streamsWrong,
      controllerWarnings: controller
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .slice(0, 5),
      goals: { p99Ms: 100, peakRssMb: 300 },
    };
  } finally {
    if (clientsUrl !== undefined) await fetch(`${clientsUrl}/stop`).catch(() => undefined);
    await children.stopAll();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Seconds the main thread of `pid` has waited on a run queue (NaN without schedstat). */
function runQueueWaitSeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return Number.NaN;
  }
}

/** How many of `streams` streams ask for each Service (stream i asks for Service i mod services). */
function streamsPerService(streams: number, services: number): number[] {
  const counts = new Array<number>(services).fill(0);
  for (let i = 0; i < streams; i++) counts[i % services] = (counts[i % services] ?? 0) + 1;
  return counts;
}

/** Sums of the controller's metric samples by name (NaN when absent). */
async function controllerMetrics(url: string): Promise<(name: string) => number> {
  const { samples } = parsePrometheusText(await (await fetch(url)).text());
  return (name) => {
    const mine = samples.filter((s) => s.name === name);
    return mine.length === 0 ? Number.NaN : mine.reduce((a, s) => a + s.value, 0);
  };
}

async function fetchReport(url: string): Promise<ClientsReport> {
  const res = await fetch(`${url}/report`);
  if (res.status !== 200) throw new Error(`clients report: HTTP ${res.status}`);
  return (await res.json()) as ClientsReport;
}

/** The Markdown of a result: one table and the goals. */
export function destinationMarkdown(r: DestinationBenchResult): string {
  const l = r.latency;
  const yes = (ok: boolean): string => (ok ? 'met' : '**not met**');
  return [
    `${r.streams} Get streams over ${r.connections} connections; ${r.services} Services × ${r.endpoints / r.services} endpoints in ${r.namespaces} namespaces (${r.endpoints} meshed pods of ~${r.podJsonBytes} B JSON); ${r.changesPerSecond} endpoint changes/s (each: Pod added, EndpointSlice updated, old Pod deleted) from the fake Kubernetes API server through the informers; ${r.warmupS} s warm-up, ${r.durationS} s measured; ${r.pinned ? 'controller on CPU 0, API server + harness + clients on CPU 1' : 'not pinned'}.`,
    '',
    '| changes measured | incomplete | p50 ms | p90 ms | p99 ms | max ms | controller CPU s | core use | CPU ms/change | peak RSS MB | RSS at end MB | stream errors | wrong final sets |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${r.changesMeasured} | ${r.changesIncomplete} | ${l.p50Ms} | ${l.p90Ms} | ${l.p99Ms} | ${l.maxMs} | ${r.controllerCpuSeconds} | ${r.controllerCoreUse} | ${r.controllerCpuMsPerChange} | ${r.controllerPeakRssMb} | ${r.controllerRssMbAtEnd} | ${r.streamErrors} | ${r.streamsWrong} |`,
    '',
    `Controller main thread waited ${r.controllerRunQueueWaitS} s for a CPU during the window (other work on the machine). At the end: V8 heap ${r.controllerHeapUsedMb} MB used of ${r.controllerHeapTotalMb} MB, event-loop lag p99 in the window ${r.controllerEventLoopLagP99Ms} ms, ${r.queueOverflows} queue overflows. Load average ${r.loadAverage[0]} → ${r.loadAverage[1]}.`,
    `Start-up: controller ready (caches synced) ${r.controllerReadyS} s; every stream answered ${r.streamsAnsweredS} s later.`,
    ...(r.controllerWarnings.length === 0
      ? []
      : [`Controller warnings (first ${r.controllerWarnings.length}): ${r.controllerWarnings.join(' ')}`]),
    `Goals: p99 < ${r.goals.p99Ms} ms: ${yes(r.changesIncomplete === 0 && l.p99Ms < r.goals.p99Ms)}; peak RSS < ${r.goals.peakRssMb} MB: ${yes(r.controllerPeakRssMb < r.goals.peakRssMb)}.`,
  ].join('\n');
}

/**
 * The `npm run bench` entry: 1,000 streams over 100 connections, 100 Services × 100 endpoints in
 * 10 namespaces, 100 changes/s, 3 s warm-up; `--duration` is the measured window and
 * `--concurrency` the number of streams. NODEMESH_BENCH_SERVER_NODE_OPTIONS becomes the
 * controller's NODE_OPTIONS (profiling); NODEMESH_BENCH_SERVER_ENV (`NAME=value,NAME=value`) adds
 * to its environment, to compare settings.
 */
export function destinationScenario(): {
  readonly describe: string;
  readonly run: (o: {
    durationMs: number;
    concurrency: number | undefined;
  }) => Promise<{ json: object; markdown: string }>;
} {
  return {
    describe:
      'Destination fan-out: 1,000 Get streams, 10,000 endpoints, 100 endpoint changes/s through the Kubernetes informers',
    run: async ({ durationMs, concurrency }) => {
      const nodeOptions = process.env.NODEMESH_BENCH_SERVER_NODE_OPTIONS;
      const serverEnv = parseEnvList(process.env.NODEMESH_BENCH_SERVER_ENV ?? '');
      const result = await runDestinationBench({
        services: 100,
        endpointsPerService: 100,
        namespaces: 10,
        streams: concurrency ?? 1000,
        connections: 100,
        changesPerSecond: 100,
        durationMs,
        warmupMs: 3000,
        drainMs: 10_000,
        pin: true,
        ...(nodeOptions === undefined ? {} : { serverNodeOptions: nodeOptions }),
        serverEnv,
      });
      return { json: result, markdown: destinationMarkdown(result) };
    },
  };
}

/** `NAME=value,NAME=value` → an environment (empty entries ignored). */
function parseEnvList(list: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of list.split(',')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  return env;
}
