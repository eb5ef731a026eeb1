// Process metrics, read at scrape time (collect callbacks), covering what the repo reads or
// documents of prom-client's default metrics:
//
//   process_cpu_user_seconds_total, process_cpu_system_seconds_total, process_cpu_seconds_total
//       counters; CPU time since the process started (process.cpuUsage())
//   process_start_time_seconds             gauge; Unix time the process started, in seconds
//   process_resident_memory_bytes          gauge; RSS (process.memoryUsage.rss())
//   nodejs_heap_size_total_bytes, nodejs_heap_size_used_bytes, nodejs_external_memory_bytes
//       gauges; from process.memoryUsage()
//   nodejs_eventloop_lag_seconds           gauge; how long a setImmediate took at the scrape
//   nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds
//       gauges; event-loop delay since the previous scrape (perf_hooks monitorEventLoopDelay,
//       10 ms resolution as prom-client), reset at each scrape
//
// Left out (nothing reads them): file descriptors, virtual memory, active handles/requests/resources,
// heap spaces, GC durations, nodejs_version_info (nodemesh_build_info carries node_version).
//
// Contract: call collectDefaultMetrics once per registry. It starts the event-loop delay monitor
// (an unref'd timer inside Node); nothing else runs between scrapes.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter } from './counter.ts';
import { Gauge } from './gauge.ts';
import type { Registry } from './registry.ts';

export interface DefaultMetricsOptions {
  readonly register: Registry;
}

const LAG_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;
const LAG_HELP: Readonly<Record<(typeof LAG_STATS)[number], string>> = {
  min: 'The minimum recorded event loop delay.',
  max: 'The maximum recorded event loop delay.',
  mean: 'The mean of the recorded event loop delays.',
  stddev: 'The standard deviation of the recorded event loop delays.',
  p50: 'The 50th percentile of the recorded event loop delays.',
  p90: 'The 90th percentile of the recorded event loop delays.',
  p99: 'The 99th percentile of the recorded event loop delays.',
};

export function collectDefaultMetrics(opts: DefaultMetricsOptions): void {
  const registers = [opts.register];
  cpuMetrics(registers);
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    registers,
  }).set(Math.round(Date.now() / 1000 - process.uptime()));
  memoryMetrics(registers);
  eventLoopMetrics(registers);
}

function cpuMetrics(registers: Registry[]): void {
  let last = { user: 0, system: 0 };
  new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers,
    // One collect sets all three.
    collect() {
      const now = process.cpuUsage();
      const user = Math.max(0, now.user - last.user);
      const sys = Math.max(0, now.system - last.system);
      last = now;
      this.inc(user / 1e6);
      system.inc(sys / 1e6);
      total.inc((user + sys) / 1e6);
    },
  });
  const system = new Counter({
    name: 'process_cpu_system_seconds_total',
    help: 'Total system CPU time spent in seconds.',
    registers,
  });
  const total = new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
  });
}

function memoryMetrics(registers: Registry[]): void {
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    // One collect sets all four.
    collect() {
      const usage = process.memoryUsage();
      this.set(usage.rss);
      heapTotal.set(usage.heapTotal);
      heapUsed.set(usage.heapUsed);
      external.set(usage.external);
    },
  });
  const heapTotal = new Gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'Process heap size from Node.js in bytes.',
    registers,
  });
  const heapUsed = new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'Process heap size used from Node.js in bytes.',
    registers,
  });
  const external = new Gauge({
    name: 'nodejs_external_memory_bytes',
    help: 'Node.js external memory size in bytes.',
    registers,
  });
}

function eventLoopMetrics(registers: Registry[]): void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds.',
    registers,
    // One collect sets all eight: the setImmediate lag now, and the delay statistics since the
    // previous scrape (then reset). The statistics are in nanoseconds.
    async collect() {
      for (const [stat, gauge] of stats) gauge.set(lagStat(stat) / 1e9);
      delay.reset();
      const start = process.hrtime.bigint();
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.set(Number(process.hrtime.bigint() - start) / 1e9);
    },
  });
  const stats = LAG_STATS.map(
    (stat) =>
      [stat, new Gauge({ name: `nodejs_eventloop_lag_${stat}_seconds`, help: LAG_HELP[stat], registers })] as const,
  );
  function lagStat(stat: (typeof LAG_STATS)[number]): number {
    switch (stat) {
      case 'min':
        return delay.min;
      case 'max':
        return delay.max;
      case 'mean':
        return delay.mean;
      case 'stddev':
        return delay.stddev;
      case 'p50':
        return delay.percentile(50);
      case 'p90':
        return delay.percentile(90);
      case 'p99':
        return delay.percentile(99);
    }
  }
}
