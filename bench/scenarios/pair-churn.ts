// Scenario "pair-churn": connection churn — what a new connection per request costs (issue 13 (5)).
//
// 1. Edge churn: wrk with `Connection: close` (every request on a new client connection to the
//    client-side proxy; the proxy closes it after the response) through direct, the haproxy pair
//    and the nodemesh pair. The connections between the two proxies should still be reused: the
//    server side's accepted connections are counted (steady windows / whole runs).
// 2. mTLS accept churn: a client (in this process) opens a new TLS 1.3 connection with a client
//    certificate for every request, straight to the server side's TLS port (haproxy's frontend,
//    nodemesh's inbound port 4143 with SNI = its identity), without session resumption: the cost of
//    a full mutual handshake on the accepting proxy, from its own CPU accounting, per connection.
//    The client's own handshakes cap the rate; compare the servers' CPU per connection.
//
// Processes and CPU layout: bench/lib/pair-topology.ts. Interleaved repetitions after a warm-up.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Child } from '../lib/children.ts';
import {
  measureInterleaved,
  roundRatio,
  summarizeRuns,
  type ConfigSummary,
  type MeasuredRun,
} from '../lib/interleave.ts';
import { requireTools } from '../lib/load-tools.ts';
import type { NodemeshUnderTest } from '../lib/nodemesh-version.ts';
import { loadPath } from '../lib/pair-load.ts';
import { PAIR_CONFIGS, startPairTopology, type PairConfig, type PairTopology } from '../lib/pair-topology.ts';
import { nodemeshBinOption, serverNodeOptions, type BenchScenario } from '../lib/scenario.ts';
import { fmtRange as fmt, type Range } from '../lib/stats.ts';
import { runTlsChurn } from '../lib/tls-churn.ts';
import { nodemeshLine, pairTable } from './pair-throughput.ts';

type TlsConfig = 'haproxy-pair' | 'nodemesh-pair';
const TLS_CONFIGS: readonly TlsConfig[] = ['haproxy-pair', 'nodemesh-pair'];

export interface PairChurnOptions {
  /** wrk connections for the edge churn. */
  readonly connections: number;
  /** Concurrent handshaking loops of the mTLS churn client. */
  readonly tlsConcurrency: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly repetitions: number;
  readonly pin: boolean;
  readonly proxyNodeOptions?: string;
  readonly nodemeshBin?: string;
  readonly topology?: PairTopology;
}

export interface PairChurnResult {
  readonly scenario: 'pair-churn';
  readonly nodemesh: NodemeshUnderTest;
  readonly durationS: number;
  readonly warmupS: number;
  readonly repetitions: number;
  readonly pinned: boolean;
  readonly layout: string;
  readonly edge: {
    readonly client: string;
    readonly runs: readonly MeasuredRun<PairConfig>[];
    readonly summary: readonly ConfigSummary<PairConfig>[];
    readonly throughputVsHaproxyPair: Range;
    readonly cpuPerRequestVsHaproxyPair: Range;
  };
  readonly mtlsAccept: {
    readonly client: string;
    readonly runs: readonly MeasuredRun<TlsConfig>[];
    readonly summary: readonly ConfigSummary<TlsConfig>[];
    /** Server side's CPU per accepted connection, nodemesh ÷ haproxy, same round. */
    readonly cpuPerConnectionVsHaproxy: Range;
  };
}

export async function runPairChurnBench(o: PairChurnOptions): Promise<PairChurnResult> {
  const tools = requireTools(['wrk']);
  const topology =
    o.topology ??
    (await startPairTopology({
      kinds: ['h1'],
      pin: o.pin,
      ...(o.proxyNodeOptions === undefined ? {} : { proxyNodeOptions: o.proxyNodeOptions }),
      ...(o.nodemeshBin === undefined ? {} : { nodemeshBin: o.nodemeshBin }),
    }));
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-churn-'));
  try {
    if (o.topology === undefined) await topology.preflightAll();
    const cpu = topology.restCpu === undefined ? {} : { cpu: topology.restCpu };
    const common = { repetitions: o.repetitions, warmupMs: o.warmupMs, durationMs: o.durationMs };
    const edgeRuns = await measureInterleaved<PairConfig>({
      ...common,
      configs: PAIR_CONFIGS,
      load: (config, durationMs, label) =>
        loadPath(tools, topology.path(config, 'h1'), {
          connections: o.connections,
          streams: 1,
          durationMs,
          dir,
          label,
          headers: ['Connection: close'],
          ...cpu,
        }),
      proxies: (config) => topology.proxies(config),
      upstream: topology.upstream('h1'),
      counter: (config) => topology.serverConnections(config),
    });
    const serverSide = (config: TlsConfig): readonly Child[] => topology.proxies(config).slice(1);
    const tlsRuns = await measureInterleaved<TlsConfig>({
      ...common,
      configs: TLS_CONFIGS,
      load: (config, durationMs) => {
        const t = topology.serverTls(config);
        return runTlsChurn({
          ...t,
          certPem: topology.clientLeaf.chainPem,
          keyPem: topology.clientLeaf.keyPem,
          caPem: topology.caPem,
          concurrency: o.tlsConcurrency,
          durationMs,
        });
      },
      proxies: serverSide,
      upstream: topology.upstream('h1'),
      counter: (config) => topology.serverConnections(config),
    });
    const rps = (r: MeasuredRun<PairConfig>): number => r.load.requestsPerSecond;
    return {
      scenario: 'pair-churn',
      nodemesh: topology.nodemesh,
      durationS: o.durationMs / 1000,
      warmupS: o.warmupMs / 1000,
      repetitions: o.repetitions,
      pinned: topology.pinned,
      layout: topology.layout,
      edge: {
        client: `wrk -t1 -c${o.connections} -H 'Connection: close'`,
        runs: edgeRuns,
        summary: PAIR_CONFIGS.map((c) => summarizeRuns(edgeRuns, c, topology.proxies(c))),
        throughputVsHaproxyPair: roundRatio(edgeRuns, 'nodemesh-pair', 'haproxy-pair', rps),
        cpuPerRequestVsHaproxyPair: roundRatio(
          edgeRuns,
          'nodemesh-pair',
          'haproxy-pair',
          (r) => r.proxyCpuUsPerRequest,
        ),
      },
      mtlsAccept: {
        client: `${o.tlsConcurrency} loops of: new TLS 1.3 connection with a client certificate, one request, close (Node, in the harness)`,
        runs: tlsRuns,
        summary: TLS_CONFIGS.map((c) => summarizeRuns(tlsRuns, c, serverSide(c))),
        cpuPerConnectionVsHaproxy: roundRatio(tlsRuns, 'nodemesh-pair', 'haproxy-pair', (r) => r.proxyCpuUsPerRequest),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (o.topology === undefined) await topology.stop();
  }
}

export function pairChurnMarkdown(r: PairChurnResult): string {
  const m = r.mtlsAccept;
  const ms = (x: Range | undefined): string =>
    x === undefined ? '–' : fmt({ median: x.median / 1000, min: x.min / 1000, max: x.max / 1000 }, 2);
  return [
    `${r.repetitions} interleaved repetitions × ${r.durationS} s after ${r.warmupS} s warm-up per configuration; median (min–max).`,
    `Layout: ${r.layout}.`,
    nodemeshLine(r.nodemesh),
    '',
    `### Edge churn: a new client connection per request (${r.edge.client})`,
    '',
    ...pairTable(r.edge.summary),
    '',
    `nodemesh pair ÷ haproxy pair (same round): throughput ${fmt(r.edge.throughputVsHaproxyPair, 2)}, CPU per request ${fmt(r.edge.cpuPerRequestVsHaproxyPair, 2)}.`,
    '',
    `### mTLS accept churn: a full mutual TLS handshake per request into the server side (${m.client})`,
    '',
    '| server side | connections/s | server CPU ms per connection | server core use | p50 ms (client view) | p99 ms | connections counted by the server | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...m.summary.map(
      (s) =>
        `| ${s.config === 'haproxy-pair' ? 'haproxy' : 'nodemesh proxy (inbound 4143)'} | ${fmt(s.requestsPerSecond, 0)} | ${ms(s.proxyCpuUsPerRequest)} | ${fmt(s.proxyCoreUse, 2)} | ${fmt(s.p50Ms, 2)} | ${fmt(s.p99Ms, 2)} | ${s.counted ?? '–'} of ${s.requests} requests | ${s.errors} |`,
    ),
    '',
    `Server CPU per connection, nodemesh ÷ haproxy (same round): ${fmt(m.cpuPerConnectionVsHaproxy, 2)}.`,
  ].join('\n');
}

/** `--duration` is each repetition (3 after 3 s warm-up); `--concurrency` wrk's connections (default 50). */
export function pairChurnScenario(): BenchScenario {
  return {
    describe:
      'Connection churn: a new client connection per request through the pairs (wrk, Connection: close), and a full mTLS handshake per request into the server side',
    run: async ({ durationMs, concurrency }) => {
      const result = await runPairChurnBench({
        connections: concurrency ?? 50,
        tlsConcurrency: 8,
        durationMs,
        warmupMs: 3000,
        repetitions: 3,
        pin: true,
        ...serverNodeOptions(),
        ...nodemeshBinOption(),
      });
      return { json: result, markdown: pairChurnMarkdown(result) };
    },
  };
}
