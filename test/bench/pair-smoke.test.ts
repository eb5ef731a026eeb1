// About a second of each proxy-pair benchmark and of the footprint benchmark, on one shared set of
// processes (two haproxies, identity, destination, two nodemesh proxies, the upstreams), to keep
// the harness working — no timing assertions: speed is measured by `npm run bench`, never by
// tests. Needs wrk, h2load and haproxy from Debian; without them the tests are skipped with the
// packages to install. NODEMESH_BENCH_NODEMESH_BIN runs another nodemesh entry point.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConfigSummary } from '../../bench/lib/interleave.ts';
import { missingTools, missingToolsMessage } from '../../bench/lib/load-tools.ts';
import { startPairTopology, type PairConfig, type PairTopology } from '../../bench/lib/pair-topology.ts';
import { nodemeshBinOption } from '../../bench/lib/scenario.ts';
import { runFootprintBench } from '../../bench/scenarios/footprint.ts';
import { runPairChurnBench } from '../../bench/scenarios/pair-churn.ts';
import { runPairLargeBench } from '../../bench/scenarios/pair-large.ts';
import { runPairLatencyBench } from '../../bench/scenarios/pair-latency.ts';
import { runPairThroughputBench, type PairKind } from '../../bench/scenarios/pair-throughput.ts';

const missing = missingTools(['wrk', 'h2load', 'haproxy']);
const SHORT = { durationMs: 1000, warmupMs: 0, repetitions: 1, pin: false } as const;

/** Every configuration served requests without errors, and the proxies' CPU and RSS were read. */
function assertMeasured<C extends string>(summary: readonly ConfigSummary<C>[]): void {
  for (const s of summary) {
    assert.equal(s.errors, 0, `${s.config} had errors`);
    assert.ok(s.requestsPerSecond.median > 0, `${s.config} served nothing`);
    if (s.config !== 'direct') {
      assert.ok((s.proxyCpuUsPerRequest?.median ?? 0) > 0, `${s.config} CPU not accounted`);
      assert.ok(s.peakRssMb.length > 0 && s.peakRssMb.every((v) => v > 0), `${s.config} RSS not read`);
      assert.ok(s.counted !== undefined && s.counted >= 0, `${s.config} connections between proxies not counted`);
    }
  }
}

describe(
  'bench proxy pairs and footprint (smoke)',
  { skip: missing.length > 0 && missingToolsMessage(missing) },
  () => {
    let topology: PairTopology;

    before(async () => {
      topology = await startPairTopology({
        kinds: ['h1', 'h2', 'grpc', 'large-h1', 'large-h2'],
        pin: false,
        largeBodyBytes: 256 * 1024,
        ...nodemeshBinOption(),
      });
      await topology.preflightAll();
    });
    after(async () => {
      await topology?.stop();
    });

    for (const kind of ['h1', 'h2', 'grpc'] as const satisfies readonly PairKind[]) {
      test(`pair-${kind === 'h1' ? 'http1' : kind} reports throughput, CPU, RSS and handshakes for every path`, async () => {
        const r = await runPairThroughputBench({ ...SHORT, kind, connections: 4, streams: 4, topology });
        assert.equal(r.runs.length, 3);
        assertMeasured(r.summary);
        assert.ok(Number.isFinite(r.ratios.throughputVsHaproxyPair.median));
        assert.ok(Number.isFinite(r.ratios.cpuPerRequestVsHaproxyPair.median));
        assert.notEqual(r.goals.handshakesInSteadyState.steadyWindows, undefined);
      });
    }

    for (const client of ['open-loop', 'h2load'] as const) {
      test(`pair-latency (${client}) reports percentiles and the latency added over direct`, async () => {
        const r = await runPairLatencyBench({ ...SHORT, rate: 200, connections: 4, client, topology });
        assert.equal(r.clientKind, client);
        assertMeasured(r.summary);
        for (const s of r.summary) assert.ok(s.p999Ms.median >= s.p50Ms.median, `${s.config} percentiles`);
        assert.ok(Number.isFinite(r.added.nodemeshPair.p99Ms.median));
        assert.ok(Number.isFinite(r.added.haproxyPair.p999Ms.median));
        for (const run of r.runs) assert.equal(run.load.generator !== undefined, client === 'open-loop');
      });
    }

    test('pair-churn reports edge churn and the CPU per mTLS handshake of both server sides', async () => {
      const r = await runPairChurnBench({ ...SHORT, connections: 4, tlsConcurrency: 2, topology });
      assertMeasured(r.edge.summary);
      assertMeasured(r.mtlsAccept.summary);
      for (const s of r.mtlsAccept.summary)
        assert.equal(s.counted, s.requests, `${s.config}: one handshake per request`);
      assert.ok(Number.isFinite(r.mtlsAccept.cpuPerConnectionVsHaproxy.median));
    });

    for (const kind of ['large-h1', 'large-h2'] as const) {
      test(`pair-${kind} reports MiB/s and CPU per MiB for every path`, async () => {
        const r = await runPairLargeBench({ ...SHORT, kind, connections: 2, topology });
        assertMeasured(r.summary);
        for (const t of r.throughput) assert.ok(t.mibPerSecond.median > 0, `${t.config} moved nothing`);
        assert.ok(Number.isFinite(r.ratios.throughputVsHaproxyPair.median));
      });
    }

    test('footprint reports RSS and USS idle, under load and with idle connections', async () => {
      const r = await runFootprintBench({
        idleConnections: 50,
        loadConnections: 4,
        loadDurationMs: 1000,
        settleMs: 200,
        pin: false,
        build: false,
        topology,
      });
      assert.deepEqual(
        r.subjects.map((s) => s.config),
        ['haproxy-pair', 'nodemesh-pair'] satisfies PairConfig[],
      );
      for (const s of r.subjects) {
        for (const m of [s.idle, s.underLoad, s.afterLoad, s.connections.held])
          for (const side of [m.client, m.server]) assert.ok(side.rssMb > 0 && side.ussMb > 0, `${s.subject} memory`);
        assert.equal(s.connections.open, 50, `${s.subject}: ${s.connections.firstError ?? ''}`);
        assert.equal(s.underLoad.load.errors, 0);
      }
      assert.ok(r.goals.nodemesh !== undefined);
    });
  },
);
