import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Gauge, MetricError, Registry } from './index.ts';

describe('Gauge', () => {
  test('set, inc and dec, with and without labels, directly and through a child', async () => {
    const registry = new Registry();
    const plain = new Gauge({ name: 'plain', help: 'Plain.', registers: [registry] });
    const g = new Gauge({ name: 'g', help: 'Labelled.', labelNames: ['k'], registers: [registry] });
    plain.set(3);
    plain.inc();
    plain.dec(0.5);
    g.inc({ k: 'a' }, 2);
    g.dec({ k: 'a' });
    const child = g.labels({ k: 'b' });
    child.set(10);
    child.dec(4);
    child.inc();
    g.set({ k: 'c' }, Number.POSITIVE_INFINITY);
    assert.equal(
      await registry.metrics(),
      [
        '# HELP plain Plain.',
        '# TYPE plain gauge',
        'plain 3.5',
        '',
        '# HELP g Labelled.',
        '# TYPE g gauge',
        'g{k="a"} 1',
        'g{k="b"} 7',
        'g{k="c"} +Inf',
        '',
      ].join('\n'),
    );
  });

  test('a collect callback runs with the gauge as this, before every exposition', async () => {
    const registry = new Registry();
    let n = 0;
    new Gauge({
      name: 'collected',
      help: 'Set at scrape time.',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        n++;
        this.set({ kind: 'Service' }, n);
      },
    });
    assert.match(await registry.metrics(), /^collected\{kind="Service"\} 1$/m);
    assert.match(await registry.metrics(), /^collected\{kind="Service"\} 2$/m);
  });

  test('an async collect callback is awaited', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'later',
      help: 'Set after a tick.',
      registers: [registry],
      async collect() {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.set(42);
      },
    });
    assert.match(await registry.metrics(), /^later 42$/m);
  });

  test('values that are not numbers and undeclared labels throw MetricError', () => {
    const g = new Gauge({ name: 'g', help: 'h', labelNames: ['k'] });
    assert.throws(() => g.set({ k: 'a' }, '1' as unknown as number), MetricError);
    assert.throws(() => g.inc({ x: 'a' } as never), MetricError);
    assert.throws(() => g.labels({ k: 'a' }).set(undefined as unknown as number), MetricError);
  });
});
