// A few seconds of the identity benchmark, to keep the harness working (no timing assertions:
// speed is measured by `npm run bench`, never by tests).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runIdentityBench } from '../../bench/scenarios/identity.ts';

describe('bench identity (smoke)', () => {
  test('runs end to end and reports every figure', async () => {
    const r = await runIdentityBench({ concurrency: 4, durationMs: 1000, warmupMs: 300, pin: false });
    assert.equal(r.errors, 0, r.errorSamples.join('\n'));
    assert.ok(r.issued > 0);
    assert.ok(r.certificatesPerSecond > 0);
    assert.ok(r.latency.p99Ms >= r.latency.p50Ms);
    assert.ok(r.serverCpuMsPerCertificate > 0);
    assert.ok(r.serverPeakRssMb > 0);
  });
});
