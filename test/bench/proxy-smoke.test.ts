// About a second of each proxy hop benchmark, to keep the harness working (no timing assertions:
// speed is measured by `npm run bench`, never by tests). Needs wrk, h2load and haproxy from Debian;
// without them the tests are skipped with the packages to install.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { missingTools, missingToolsMessage } from '../../bench/lib/load-tools.ts';
import { hopTools, runProxyHopBench, type HopProtocol } from '../../bench/scenarios/proxy-hop.ts';

const PROTOCOLS: readonly HopProtocol[] = ['http1', 'h2', 'grpc'];
const missing = missingTools(['wrk', 'h2load', 'haproxy']);

describe('bench proxy hop (smoke)', () => {
  for (const protocol of PROTOCOLS) {
    test(`proxy-${protocol} runs end to end and reports every figure`, async (t) => {
      const need = missingTools(hopTools(protocol));
      if (need.length > 0 || missing.length > 0) {
        t.skip(missingToolsMessage(missing));
        return;
      }
      const r = await runProxyHopBench({
        protocol,
        durationMs: 1000,
        warmupMs: 0,
        repetitions: 1,
        connections: 4,
        streams: 4,
        pin: false,
      });
      assert.equal(r.runs.length, 3);
      for (const s of r.summary) {
        assert.equal(s.errors, 0, `${s.config} had errors`);
        assert.ok(s.requestsPerSecond.median > 0, `${s.config} served nothing`);
        if (s.config !== 'direct') {
          assert.ok((s.proxyCpuUsPerRequest?.median ?? 0) > 0, `${s.config} CPU not accounted`);
          assert.ok((s.peakRssMb ?? 0) > 0, `${s.config} RSS not read`);
        }
      }
      assert.ok(Number.isFinite(r.ratios.throughputVsHaproxy.median));
      assert.ok(Number.isFinite(r.ratios.cpuPerRequestVsHaproxy.median));
    });
  }
});
