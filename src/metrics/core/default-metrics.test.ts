import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrometheusText, sumSamples } from '../parse-text.ts';
import { Registry, collectDefaultMetrics } from './index.ts';

describe('collectDefaultMetrics', () => {
  test('exposes the process and Node.js metrics the CLI, benchmarks and docs read', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    // Burn a little CPU so the CPU counters cannot read 0.
    let x = 0;
    for (let i = 0; i < 2_000_000; i++) x += i % 7;
    assert.ok(x > 0);
    const parsed = parsePrometheusText(await registry.metrics());
    assert.deepEqual(parsed.errors, []);
    const types: Record<string, string> = {
      process_cpu_user_seconds_total: 'counter',
      process_cpu_system_seconds_total: 'counter',
      process_cpu_seconds_total: 'counter',
      process_start_time_seconds: 'gauge',
      process_resident_memory_bytes: 'gauge',
      nodejs_heap_size_total_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_external_memory_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
      nodejs_eventloop_lag_p99_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(types)) {
      assert.equal(parsed.families.get(name)?.type, type, name);
      assert.equal(parsed.families.get(name)?.samples.length, 1, name);
    }
    const cpu = sumSamples(parsed, 'process_cpu_seconds_total');
    const user = sumSamples(parsed, 'process_cpu_user_seconds_total');
    const system = sumSamples(parsed, 'process_cpu_system_seconds_total');
    assert.ok(cpu > 0);
    assert.ok(Math.abs(cpu - (user + system)) < 1e-9);
    assert.ok(sumSamples(parsed, 'process_resident_memory_bytes') > 1e6);
    const used = sumSamples(parsed, 'nodejs_heap_size_used_bytes');
    assert.ok(used > 0 && used <= sumSamples(parsed, 'nodejs_heap_size_total_bytes'));
    const start = sumSamples(parsed, 'process_start_time_seconds');
    assert.ok(start > 1.7e9 && start <= Date.now() / 1000 + 1);
    assert.ok(sumSamples(parsed, 'nodejs_eventloop_lag_seconds') >= 0);
  });

  test('CPU counters only grow from one scrape to the next', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const first = sumSamples(parsePrometheusText(await registry.metrics()), 'process_cpu_seconds_total');
    const second = sumSamples(parsePrometheusText(await registry.metrics()), 'process_cpu_seconds_total');
    assert.ok(second >= first);
  });
});
