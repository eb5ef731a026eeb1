// About a second of the destination fan-out benchmark at tiny sizes, to keep the harness working:
// the real controller on the fake Kubernetes API server, streams in their own process. No timing
// assertions: speed is measured by `npm run bench`, never by tests.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { destinationMarkdown, runDestinationBench } from '../../bench/scenarios/destination.ts';

describe('bench destination (smoke)', () => {
  test('runs end to end and reports every figure', async () => {
    const r = await runDestinationBench({
      services: 4,
      endpointsPerService: 5,
      namespaces: 2,
      streams: 8,
      connections: 2,
      changesPerSecond: 20,
      durationMs: 1000,
      warmupMs: 200,
      drainMs: 5000,
      pin: false,
    });
    assert.equal(r.streamErrors, 0, r.streamErrorSamples.join('\n'));
    assert.ok(r.changesMeasured > 0);
    assert.ok(r.latency.count > 0, 'some changes reached every stream');
    assert.ok(r.latency.p99Ms >= r.latency.p50Ms);
    for (const figure of [r.controllerCpuSeconds, r.controllerPeakRssMb, r.controllerHeapUsedMb, r.streamsWrong]) {
      assert.ok(Number.isFinite(figure));
    }
    assert.ok(r.controllerPeakRssMb > 0);
    assert.match(destinationMarkdown(r), /\| changes measured \|/);
  });
});
