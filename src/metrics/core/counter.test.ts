import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, MetricError, Registry } from './index.ts';

function counter(labelNames: readonly string[] = []): { registry: Registry; c: Counter } {
  const registry = new Registry();
  return { registry, c: new Counter({ name: 'c_total', help: 'A counter.', labelNames, registers: [registry] }) };
}

describe('Counter', () => {
  test('a counter without labels exposes 0 from the start, then the sum of inc()', async () => {
    const { registry, c } = counter();
    assert.equal(await registry.metrics(), '# HELP c_total A counter.\n# TYPE c_total counter\nc_total 0\n');
    c.inc();
    c.inc(2.5);
    assert.equal(await registry.metrics(), '# HELP c_total A counter.\n# TYPE c_total counter\nc_total 3.5\n');
  });

  test('series carry only the labels set, in labelNames order, and undefined counts as unset', async () => {
    const { registry, c } = counter(['a', 'b', 'c']);
    assert.equal(await registry.metrics(), '# HELP c_total A counter.\n# TYPE c_total counter\n');
    c.inc({ b: 'y', a: 'x' });
    c.inc({ a: 'x', b: 'y', c: undefined }, 2);
    c.inc({ c: 7 });
    c.inc({ a: '' });
    assert.equal(
      await registry.metrics(),
      [
        '# HELP c_total A counter.',
        '# TYPE c_total counter',
        'c_total{a="x",b="y"} 3',
        'c_total{c="7"} 1',
        'c_total{a=""} 1',
        '',
      ].join('\n'),
    );
  });

  test('label values that look alike do not share a series', async () => {
    const { registry, c } = counter(['a', 'b']);
    c.inc({ a: '1:x', b: 'y' });
    c.inc({ a: '1', b: 'x1:y' });
    c.inc({ a: '!' });
    c.inc({ b: '!' });
    const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('c_total'));
    assert.equal(lines.length, 4);
  });

  test('a child adds to its series, and creates it only at its first inc', async () => {
    const { registry, c } = counter(['route']);
    const child = c.labels({ route: 'GET /' });
    c.labels({ route: 'unused' });
    assert.doesNotMatch(await registry.metrics(), /c_total\{/);
    child.inc();
    child.inc(4);
    c.inc({ route: 'GET /' });
    assert.match(await registry.metrics(), /^c_total\{route="GET \/"\} 6$/m);
    assert.doesNotMatch(await registry.metrics(), /unused/);
  });

  test('reset drops the series; a child then starts a fresh one', async () => {
    const { registry, c } = counter(['k']);
    const child = c.labels({ k: 'v' });
    child.inc(5);
    c.reset();
    assert.doesNotMatch(await registry.metrics(), /c_total\{/);
    child.inc();
    assert.match(await registry.metrics(), /^c_total\{k="v"\} 1$/m);
  });

  const bad: [string, (c: Counter) => void][] = [
    ['a label the counter does not declare', (c) => c.inc({ nope: 'x' } as never)],
    ['a negative value', (c) => c.inc({ k: 'v' }, -1)],
    ['NaN', (c) => c.inc(Number.NaN)],
    ['+Inf', (c) => c.labels({ k: 'v' }).inc(Number.POSITIVE_INFINITY)],
    ['an undeclared label in labels()', (c) => c.labels({ k: 'v', other: 'x' })],
  ];
  for (const [name, call] of bad) {
    test(`throws MetricError for ${name}, recording nothing`, async () => {
      const { registry, c } = counter(['k']);
      assert.throws(() => call(c), MetricError);
      assert.doesNotMatch(await registry.metrics(), /^c_total[{ ]/m);
    });
  }

  test('names are checked: metric name, label names, repeated label names', () => {
    assert.throws(() => new Counter({ name: 'bad-name', help: 'h' }), MetricError);
    assert.throws(() => new Counter({ name: 'ok', help: 'h', labelNames: ['0x'] }), MetricError);
    assert.throws(() => new Counter({ name: 'ok', help: 'h', labelNames: ['a', 'a'] }), MetricError);
    assert.throws(() => new Counter({ name: 'ok', help: '' }), MetricError);
  });
});
