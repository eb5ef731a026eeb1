// The load generators' reports as the proxy benchmarks read them (wrk 4.1.0, h2load 1.52.0).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { missingToolsMessage, parseH2load, parseWrk } from '../../bench/lib/load-tools.ts';

describe('bench load tools', () => {
  test('parseWrk reads requests, rate, percentiles and errors', () => {
    const r = parseWrk(`Running 2s test @ http://127.0.0.1:18081/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.87ms   21.65ms 138.65ms   91.45%
    Req/Sec    22.88k    10.31k   38.04k    75.00%
  Latency Distribution
     50%  690.00us
     75%    4.41ms
     90%   24.73ms
     99%    1.12s
  45738 requests in 2.01s, 3.36MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  22731.20
Transfer/sec:      1.67MB
`);
    assert.equal(r.requests, 45738);
    assert.equal(r.seconds, 2.01);
    assert.equal(r.requestsPerSecond, 22731.2);
    assert.equal(r.errors, 7);
    assert.deepEqual(r.latencyMs, { p50: 0.69, p90: 24.73, p99: 1120, mean: 8.87 });
  });

  test('parseH2load reads requests, rate and errors', () => {
    const r = parseH2load(`finished in 2.00s, 64100.00 req/s, 2.87MB/s
requests: 128200 total, 128300 started, 128200 done, 128190 succeeded, 10 failed, 0 errored, 0 timeout
status codes: 128190 2xx, 0 3xx, 0 4xx, 10 5xx
traffic: 5.75MB (6025700) total, 2.08MB (2179400) headers (space savings 64.58%), 1.47MB (1538400) data
                     min         max         mean         sd        +/- sd
time for request:      114us    100.45ms      1.42ms      3.14ms    93.74%
`);
    assert.equal(r.requests, 128190);
    assert.equal(r.requestsPerSecond, 64100);
    assert.equal(r.errors, 20);
    assert.equal(r.latencyMs.mean, 1.42);
  });

  test('a missing tool names its Debian package', () => {
    assert.equal(
      missingToolsMessage(['wrk', 'h2load', 'haproxy']),
      'needs wrk, h2load, haproxy: apt-get install -y wrk nghttp2-client haproxy',
    );
  });
});
