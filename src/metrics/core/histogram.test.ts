import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Histogram, MetricError, Registry } from './index.ts';

describe('Histogram', () => {
  test('a value equal to a bound counts in that bound, buckets are cumulative, +Inf is the count', async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: 'lat_ms',
      help: 'Latency.',
      labelNames: ['code'],
      buckets: [1, 5, 10],
      registers: [registry],
    });
    for (const v of [0, 1, 1.0001, 5, 10, 10.5, 1000]) h.observe({ code: '200' }, v);
    h.labels({ code: '503' }).observe(-3);
    assert.equal(
      await registry.metrics(),
      [
        '# HELP lat_ms Latency.',
        '# TYPE lat_ms histogram',
        'lat_ms_bucket{code="200",le="1"} 2',
        'lat_ms_bucket{code="200",le="5"} 4',
        'lat_ms_bucket{code="200",le="10"} 5',
        'lat_ms_bucket{code="200",le="+Inf"} 7',
        'lat_ms_sum{code="200"} 1027.5001',
        'lat_ms_count{code="200"} 7',
        'lat_ms_bucket{code="503",le="1"} 1',
        'lat_ms_bucket{code="503",le="5"} 1',
        'lat_ms_bucket{code="503",le="10"} 1',
        'lat_ms_bucket{code="503",le="+Inf"} 1',
        'lat_ms_sum{code="503"} -3',
        'lat_ms_count{code="503"} 1',
        '',
      ].join('\n'),
    );
  });

  test('without labels: default buckets, zero series from the start', async () => {
    const registry = new Registry();
    const h = new Histogram({ name: 'd_seconds', help: 'Durations.', registers: [registry] });
    let text = await registry.metrics();
    assert.match(text, /^d_seconds_bucket\{le="0.005"\} 0$/m);
    assert.match(text, /^d_seconds_count 0$/m);
    h.observe(0.3);
    text = await registry.metrics();
    assert.match(text, /^d_seconds_bucket\{le="0.25"\} 0$/m);
    assert.match(text, /^d_seconds_bucket\{le="0.5"\} 1$/m);
    assert.match(text, /^d_seconds_bucket\{le="10"\} 1$/m);
    assert.match(text, /^d_seconds_sum 0.3$/m);
  });

  test('reset drops labelled series; a child starts over', async () => {
    const registry = new Registry();
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['k'], buckets: [1], registers: [registry] });
    const child = h.labels({ k: 'v' });
    child.observe(0.5);
    child.observe(2);
    h.reset();
    assert.doesNotMatch(await registry.metrics(), /^h_count/m);
    child.observe(3);
    assert.match(await registry.metrics(), /^h_count\{k="v"\} 1$/m);
    assert.match(await registry.metrics(), /^h_bucket\{k="v",le="1"\} 0$/m);
  });

  test('bad buckets, an le label, non-finite observations and undeclared labels throw', () => {
    assert.throws(() => new Histogram({ name: 'h', help: 'h', buckets: [1, 1] }), MetricError);
    assert.throws(() => new Histogram({ name: 'h', help: 'h', buckets: [2, 1] }), MetricError);
    assert.throws(() => new Histogram({ name: 'h', help: 'h', buckets: [1, Number.POSITIVE_INFINITY] }), MetricError);
    assert.throws(() => new Histogram({ name: 'h', help: 'h', labelNames: ['le'] }), MetricError);
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['k'], buckets: [1] });
    assert.throws(() => h.observe({ k: 'v' }, Number.NaN), MetricError);
    assert.throws(() => h.labels({ k: 'v' }).observe(Number.POSITIVE_INFINITY), MetricError);
    assert.throws(() => h.observe({ nope: 'v' } as never, 1), MetricError);
  });

  test('get() gives bucket, sum and count samples as prom-client did', async () => {
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['k'], buckets: [1, 2] });
    h.observe({ k: 'v' }, 1.5);
    const snapshot = await h.get();
    assert.deepEqual(snapshot.values, [
      { labels: { k: 'v', le: 1 }, value: 0, metricName: 'h_bucket' },
      { labels: { k: 'v', le: 2 }, value: 1, metricName: 'h_bucket' },
      { labels: { k: 'v', le: '+Inf' }, value: 1, metricName: 'h_bucket' },
      { labels: { k: 'v' }, value: 1.5, metricName: 'h_sum' },
      { labels: { k: 'v' }, value: 1, metricName: 'h_count' },
    ]);
  });
});
