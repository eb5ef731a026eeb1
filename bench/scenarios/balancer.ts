// `npm run bench -- balancer`: the traffic-policy benchmark of issue 7.
//
// 1. Slow endpoint: five endpoints behind one Service, one of them 50× slower (100 ms against
//    2 ms); the same closed-loop load (keep-alive, fixed concurrency) through a proxy balancing with
//    P2C over peak-EWMA and through one balancing round robin, interleaved; latency percentiles
//    (p50, p99, p99.9) from every request, and the share the slow endpoint got.
// 2. Cost of the policy layers: the same proxy with the request going straight to its authority
//    (the data path alone), through the logical path (discovery target, P2C balancer), and through
//    the logical path with a ServiceProfile (route match, route metrics, a retryable route with its
//    budget and body capture); wrk at fixed concurrency, interleaved; proxy CPU µs per request.

import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/net/index.ts';
import { Children, canPin, waitPort, type Child } from '../lib/children.ts';
import { measureInterleaved, roundRatio, summarizeRuns } from '../lib/interleave.ts';
import { requireTools, runWrk } from '../lib/load-tools.ts';
import type { PolicyProxySpec } from '../lib/policy-proxy.ts';
import { round, summarize, type LatencySummary } from '../lib/stats.ts';

const POLICY_PROXY = fileURLToPath(new URL('../lib/policy-proxy.ts', import.meta.url));
const UPSTREAMS = fileURLToPath(new URL('../lib/delay-upstreams.ts', import.meta.url));
const SERVICE = 'web.shop.svc.cluster.local';

export interface BalancerBenchOptions {
  readonly durationMs: number;
  readonly concurrency?: number;
  readonly repetitions?: number;
}

export interface BalancerBenchResult {
  readonly slowEndpoint: {
    readonly concurrency: number;
    readonly healthyDelayMs: number;
    readonly slowDelayMs: number;
    readonly strategies: Record<'p2c' | 'round-robin', LatencySummary & { readonly slowShare: number }>;
  };
  readonly policyCost: {
    readonly connections: number;
    readonly configs: Record<
      PolicyConfig,
      { readonly requestsPerSecond: number; readonly proxyCpuUsPerRequest: number }
    >;
    readonly cpuRatioToDirect: Record<Exclude<PolicyConfig, 'direct'>, number>;
  };
}

type PolicyConfig = 'direct' | 'logical' | 'profile';

const PROFILE_SPEC = `routes:
- name: get
  condition: { method: GET, pathRegex: /.* }
  isRetryable: true
- name: post
  condition: { method: POST, pathRegex: /.* }
retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s }`;

async function startProxy(children: Children, name: string, spec: Omit<PolicyProxySpec, 'port'>, cpu?: number) {
  const port = await freePort('127.0.0.1');
  const child = children.start(name, process.execPath, [POLICY_PROXY], {
    env: { NODEMESH_BENCH_POLICY: JSON.stringify({ ...spec, port }) },
    ...(cpu === undefined ? {} : { cpu }),
  });
  await waitPort(child, port);
  return { child, port };
}

/** Closed-loop load: `concurrency` keep-alive clients for `durationMs`; every latency and who answered. */
async function closedLoop(
  port: number,
  concurrency: number,
  durationMs: number,
): Promise<{ latencies: number[]; byUpstream: Map<string, number> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const byUpstream = new Map<string, number>();
  const deadline = performance.now() + durationMs;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request({ host: '127.0.0.1', port, path: '/', agent, headers: { host: SERVICE } }, (res) => {
        res.resume();
        res.once('end', () => {
          latencies.push(performance.now() - started);
          const by = String(res.headers['x-upstream-port']);
          byUpstream.set(by, (byUpstream.get(by) ?? 0) + 1);
          resolve();
        });
      });
      req.once('error', reject);
      req.end();
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  agent.destroy();
  return { latencies, byUpstream };
}

export async function runBalancerBench(o: BalancerBenchOptions): Promise<BalancerBenchResult> {
  const tools = requireTools(['wrk']);
  const children = new Children();
  const pin = canPin();
  try {
    // --- 1. slow endpoint ---
    const healthyDelayMs = 2;
    const slowDelayMs = 100;
    const ports = await Promise.all(Array.from({ length: 6 }, () => freePort('127.0.0.1')));
    const endpointPorts = ports.slice(0, 5);
    const fastPort = ports[5]!;
    const upstreams = children.start('upstreams', process.execPath, [UPSTREAMS], {
      env: {
        NODEMESH_BENCH_UPSTREAMS: JSON.stringify([
          ...endpointPorts.map((port, i) => ({ port, delayMs: i === 0 ? slowDelayMs : healthyDelayMs })),
          { port: fastPort, delayMs: 0 },
        ]),
      },
      ...(pin ? { cpu: 1 } : {}),
    });
    await waitPort(upstreams, fastPort);
    const endpoints = endpointPorts.map((port) => ({ host: '127.0.0.1', port }));
    const proxies = {
      p2c: await startProxy(
        children,
        'p2c proxy',
        { mode: 'logical', strategy: 'p2c', endpoints },
        pin ? 0 : undefined,
      ),
      'round-robin': await startProxy(
        children,
        'round-robin proxy',
        { mode: 'logical', strategy: 'round-robin', endpoints },
        pin ? 0 : undefined,
      ),
    };
    const concurrency = o.concurrency ?? 20;
    const repetitions = o.repetitions ?? 3;
    const samples: Record<'p2c' | 'round-robin', number[]> = { p2c: [], 'round-robin': [] };
    const slowHits: Record<'p2c' | 'round-robin', number> = { p2c: 0, 'round-robin': 0 };
    const totals: Record<'p2c' | 'round-robin', number> = { p2c: 0, 'round-robin': 0 };
    const perRun = Math.max(500, Math.floor(o.durationMs / repetitions));
    // Warm-up (JIT, pools, and the balancer's load estimates).
    for (const s of ['p2c', 'round-robin'] as const) await closedLoop(proxies[s].port, concurrency, 500);
    for (let rep = 0; rep < repetitions; rep++) {
      for (const s of ['round-robin', 'p2c'] as const) {
        const { latencies, byUpstream } = await closedLoop(proxies[s].port, concurrency, perRun);
        samples[s].push(...latencies);
        totals[s] += latencies.length;
        slowHits[s] += byUpstream.get(String(endpointPorts[0])) ?? 0;
      }
    }
    const strategies = {
      p2c: { ...summarize(samples.p2c), slowShare: round(slowHits.p2c / Math.max(1, totals.p2c), 4) },
      'round-robin': {
        ...summarize(samples['round-robin']),
        slowShare: round(slowHits['round-robin'] / Math.max(1, totals['round-robin']), 4),
      },
    };
    await proxies.p2c.child.stop();
    await proxies['round-robin'].child.stop();

    // --- 2. cost of the policy layers ---
    const fast = [{ host: '127.0.0.1', port: fastPort }];
    const cost: Record<PolicyConfig, { child: Child; port: number }> = {
      direct: await startProxy(children, 'direct proxy', { mode: 'direct' }, pin ? 0 : undefined),
      logical: await startProxy(children, 'logical proxy', { mode: 'logical', endpoints: fast }, pin ? 0 : undefined),
      profile: await startProxy(
        children,
        'profile proxy',
        { mode: 'logical', endpoints: fast, profileSpec: PROFILE_SPEC },
        pin ? 0 : undefined,
      ),
    };
    const connections = 50;
    const configs: PolicyConfig[] = ['direct', 'logical', 'profile'];
    const runs = await measureInterleaved({
      configs,
      repetitions,
      warmupMs: 1000,
      durationMs: Math.max(1000, Math.floor(o.durationMs / repetitions)),
      // The direct proxy sends to the authority itself: name the upstream's address there.
      load: (c, durationMs) =>
        runWrk(tools.wrk, {
          url: `http://127.0.0.1:${cost[c].port}/`,
          host: c === 'direct' ? `127.0.0.1:${fastPort}` : SERVICE,
          connections,
          durationMs,
          ...(pin ? { cpu: 1 } : {}),
        }),
      proxies: (c) => [cost[c].child],
      upstream: upstreams,
    });
    const summary = Object.fromEntries(
      configs.map((c) => {
        const s = summarizeRuns(runs, c, [cost[c].child]);
        return [
          c,
          {
            requestsPerSecond: s.requestsPerSecond.median,
            proxyCpuUsPerRequest: s.proxyCpuUsPerRequest?.median ?? NaN,
          },
        ];
      }),
    ) as BalancerBenchResult['policyCost']['configs'];
    const cpu = (r: { proxyCpuUsPerRequest: number | undefined }): number | undefined => r.proxyCpuUsPerRequest;
    return {
      slowEndpoint: { concurrency, healthyDelayMs, slowDelayMs, strategies },
      policyCost: {
        connections,
        configs: summary,
        cpuRatioToDirect: {
          logical: roundRatio(runs, 'logical', 'direct', cpu).median,
          profile: roundRatio(runs, 'profile', 'direct', cpu).median,
        },
      },
    };
  } finally {
    await children.stopAll();
  }
}

export function balancerMarkdown(r: BalancerBenchResult): string {
  const s = r.slowEndpoint;
  const rows = (['p2c', 'round-robin'] as const).map((name) => {
    const x = s.strategies[name];
    return `| ${name} | ${x.count} | ${(x.slowShare * 100).toFixed(1)} % | ${x.p50Ms} | ${x.p99Ms} | ${x.p999Ms} | ${x.maxMs} |`;
  });
  const cost = r.policyCost;
  const costRows = (['direct', 'logical', 'profile'] as const).map((c) => {
    const x = cost.configs[c];
    const ratio = c === 'direct' ? '1' : String(cost.cpuRatioToDirect[c]);
    return `| ${c} | ${Math.round(x.requestsPerSecond)} | ${round(x.proxyCpuUsPerRequest, 1)} | ${ratio} |`;
  });
  return [
    `Slow endpoint: five endpoints, one answering in ${s.slowDelayMs} ms and four in ${s.healthyDelayMs} ms; ${s.concurrency} keep-alive clients, interleaved runs.`,
    '',
    '| balancer | requests | to the slow endpoint | p50 ms | p99 ms | p99.9 ms | max ms |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Cost of the policy layers (wrk, ${cost.connections} connections, one fast upstream; medians of interleaved runs):`,
    '',
    '| path | requests/s | proxy CPU µs/request | CPU ÷ direct |',
    '| --- | --- | --- | --- |',
    ...costRows,
  ].join('\n');
}
