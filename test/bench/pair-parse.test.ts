// The /proc and haproxy reports the pair and footprint benchmarks read.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHaproxyInfo } from '../../bench/lib/haproxy-pair.ts';
import { parseSmapsRollup } from '../../bench/lib/proc.ts';
import { range, round as roundTo } from '../../bench/lib/stats.ts';
import { latencyClientOption, latencyLeadInOption, leadInMs } from '../../bench/scenarios/pair-latency.ts';
import { extraProxyNodeArgs } from '../../bench/lib/nodemesh-pair.ts';

describe('bench pair parsers', () => {
  test('parseSmapsRollup reads RSS, PSS and USS (Private_Clean + Private_Dirty) in MB', () => {
    const m = parseSmapsRollup(`562cee284000-7fff8c5b9000 ---p 00000000 00:00 0                          [rollup]
Rss:              102400 kB
Pss:               51200 kB
Shared_Clean:      40960 kB
Shared_Dirty:          0 kB
Private_Clean:     10240 kB
Private_Dirty:     51200 kB
Swap:                  0 kB
`);
    assert.deepEqual(m, { rssMb: 100, pssMb: 50, ussMb: 60 });
  });

  test('the open-loop lead-in is a fifth of the run, between 0.5 and 3 s', () => {
    assert.equal(leadInMs(15_000), 3000);
    assert.equal(leadInMs(60_000), 3000);
    assert.equal(leadInMs(5_000), 1000);
    assert.equal(leadInMs(1_000), 500);
  });

  test('NODEMESH_BENCH_LATENCY_LEAD_IN_MS sets the lead-in, refusing what is not whole milliseconds', () => {
    assert.deepEqual(latencyLeadInOption({}), {});
    assert.deepEqual(latencyLeadInOption({ NODEMESH_BENCH_LATENCY_LEAD_IN_MS: '500' }), { leadInMs: 500 });
    assert.deepEqual(latencyLeadInOption({ NODEMESH_BENCH_LATENCY_LEAD_IN_MS: '0' }), { leadInMs: 0 });
    for (const bad of ['-1', '0.5', '3s', ' 500']) {
      assert.throws(
        () => latencyLeadInOption({ NODEMESH_BENCH_LATENCY_LEAD_IN_MS: bad }),
        /whole number of milliseconds/,
      );
    }
  });

  test('NODEMESH_BENCH_LATENCY_CLIENT picks the latency generator, naming the allowed values', () => {
    assert.equal(latencyClientOption({}), 'open-loop');
    assert.equal(latencyClientOption({ NODEMESH_BENCH_LATENCY_CLIENT: 'h2load' }), 'h2load');
    assert.throws(() => latencyClientOption({ NODEMESH_BENCH_LATENCY_CLIENT: 'wrk2' }), /expected open-loop or h2load/);
  });

  test('NODEMESH_BENCH_PROXY_NODE_ARGS gives flags for the proxies, refusing anything else', () => {
    assert.deepEqual(extraProxyNodeArgs({}), []);
    assert.deepEqual(
      extraProxyNodeArgs({ NODEMESH_BENCH_PROXY_NODE_ARGS: ' --single-threaded-gc  --v8-pool-size=1 ' }),
      ['--single-threaded-gc', '--v8-pool-size=1'],
    );
    assert.throws(
      () => extraProxyNodeArgs({ NODEMESH_BENCH_PROXY_NODE_ARGS: '--a evil.js' }),
      /"evil.js" is not a flag/,
    );
  });

  test('parseHaproxyInfo reads `show info` as name → value', () => {
    const info = parseHaproxyInfo('Name: HAProxy\nVersion: 2.6.12\nCumConns: 4\nCumSslConns: 2\n\n');
    assert.equal(info.CumSslConns, '2');
    assert.equal(info.Version, '2.6.12');
  });

  test('range gives the median and the spread of the finite values', () => {
    assert.deepEqual(range([3, 1, Number.NaN, 2]), { median: 2, min: 1, max: 3 });
    assert.equal(roundTo(range([1, 2]).median), 1.5);
  });
});
