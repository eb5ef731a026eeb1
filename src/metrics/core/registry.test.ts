import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrometheusText, sumSamples } from '../parse-text.ts';
import { Counter, Gauge, Histogram, MetricError, PROMETHEUS_CONTENT_TYPE, Registry } from './index.ts';

describe('Registry', () => {
  test('writes families in registration order, a blank line apart, with a final newline', async () => {
    const registry = new Registry();
    new Gauge({ name: 'b', help: 'B.', registers: [registry] });
    new Counter({ name: 'a_total', help: 'A.', registers: [registry] });
    assert.equal(
      await registry.metrics(),
      '# HELP b B.\n# TYPE b gauge\nb 0\n\n# HELP a_total A.\n# TYPE a_total counter\na_total 0\n',
    );
    assert.equal(await new Registry().metrics(), '\n');
    assert.equal(registry.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(PROMETHEUS_CONTENT_TYPE, registry.contentType);
  });

  test('escapes help text and label values, and prints special values', async () => {
    const registry = new Registry();
    const g = new Gauge({
      name: 'esc',
      help: 'Back\\slash and\nnewline, "quotes" kept.',
      labelNames: ['path'],
      registers: [registry],
    });
    g.set({ path: 'a"b\\c\nd' }, Number.NaN);
    g.set({ path: 'neg' }, Number.NEGATIVE_INFINITY);
    const text = await registry.metrics();
    assert.equal(
      text,
      [
        '# HELP esc Back\\\\slash and\\nnewline, "quotes" kept.',
        '# TYPE esc gauge',
        'esc{path="a\\"b\\\\c\\nd"} NaN',
        'esc{path="neg"} -Inf',
        '',
      ].join('\n'),
    );
    const parsed = parsePrometheusText(text);
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.families.get('esc')?.help, 'Back\\slash and\nnewline, "quotes" kept.');
    assert.deepEqual(parsed.samples[0]?.labels, { path: 'a"b\\c\nd' });
  });

  test('a name registers once: the same metric again is fine, another throws', () => {
    const registry = new Registry();
    const c = new Counter({ name: 'x_total', help: 'X.', registers: [registry] });
    registry.registerMetric(c);
    assert.throws(() => new Gauge({ name: 'x_total', help: 'Y.', registers: [registry] }), MetricError);
    assert.equal(registry.getSingleMetric('x_total'), c);
    assert.equal(registry.getSingleMetric('missing'), undefined);
  });

  test('getSingleMetric().get() runs collect and lists the series with their labels', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'streams',
      help: 'Streams.',
      labelNames: ['method'],
      registers: [registry],
      collect() {
        this.set({ method: 'Get' }, 3);
      },
    });
    const snapshot = await registry.getSingleMetric('streams')?.get();
    assert.deepEqual(snapshot, {
      name: 'streams',
      help: 'Streams.',
      type: 'gauge',
      values: [{ labels: { method: 'Get' }, value: 3 }],
    });
  });

  test('resetMetrics resets every metric', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c_total', help: 'C.', registers: [registry] });
    const g = new Gauge({ name: 'g', help: 'G.', labelNames: ['k'], registers: [registry] });
    c.inc(3);
    g.set({ k: 'a' }, 1);
    registry.resetMetrics();
    assert.equal(
      await registry.metrics(),
      '# HELP c_total C.\n# TYPE c_total counter\nc_total 0\n\n# HELP g G.\n# TYPE g gauge\n',
    );
  });

  test('a mixed registry parses with parse-text and gives back the exact counts', async () => {
    const registry = new Registry();
    const req = new Counter({
      name: 'request_total',
      help: 'Requests.',
      labelNames: ['direction', 'authority', 'status_code'],
      registers: [registry],
    });
    const open = new Gauge({ name: 'open', help: 'Open.', labelNames: ['direction'], registers: [registry] });
    const lat = new Histogram({
      name: 'latency_ms',
      help: 'Latency.',
      labelNames: ['direction'],
      buckets: [1, 10, 100],
      registers: [registry],
    });
    const outbound = req.labels({ direction: 'outbound', authority: 'web.shop.svc.cluster.local:80' });
    for (let i = 0; i < 17; i++) outbound.inc();
    req.inc({ direction: 'inbound', status_code: 200 }, 5);
    open.inc({ direction: 'inbound' }, 4);
    open.dec({ direction: 'inbound' });
    const child = lat.labels({ direction: 'outbound' });
    for (const v of [0.5, 1, 10, 99, 100, 101]) child.observe(v);

    const parsed = parsePrometheusText(await registry.metrics());
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.families.get('request_total')?.type, 'counter');
    assert.equal(parsed.families.get('latency_ms')?.type, 'histogram');
    assert.equal(sumSamples(parsed, 'request_total'), 22);
    assert.equal(sumSamples(parsed, 'request_total', { direction: 'inbound', status_code: '200' }), 5);
    assert.equal(sumSamples(parsed, 'open', { direction: 'inbound' }), 3);
    assert.equal(sumSamples(parsed, 'latency_ms_bucket', { le: '1' }), 2);
    assert.equal(sumSamples(parsed, 'latency_ms_bucket', { le: '10' }), 3);
    assert.equal(sumSamples(parsed, 'latency_ms_bucket', { le: '100' }), 5);
    assert.equal(sumSamples(parsed, 'latency_ms_bucket', { le: '+Inf' }), 6);
    assert.equal(sumSamples(parsed, 'latency_ms_count'), 6);
    assert.equal(sumSamples(parsed, 'latency_ms_sum'), 311.5);
  });
});
