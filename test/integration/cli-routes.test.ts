// `nodemesh routes` against a real in-process proxy: a ServiceProfile with two routes, one whose
// attempts fail every other time and are retried, traffic through the proxy during the window, and a
// state.json pointing at the proxy's admin server. The command reports each route's success rate and
// request rate and, for the retried route, an actual request rate above its request rate.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { CommandContext } from '../../src/cli/command.ts';
import { runRoutes } from '../../src/cli/routes/routes-command.ts';
import { startOutboundProxy, type OutboundProxy } from '../support/outbound-proxy.ts';

interface RouteRow {
  readonly route: string;
  readonly successRate: number | null;
  readonly requestsPerSecond: number;
  readonly actualRequestsPerSecond: number | null;
}

describe('nodemesh routes on a real proxy', () => {
  let dir: string;
  let app: Server;
  let proxy: OutboundProxy;

  before(async () => {
    let flaky = 0;
    app = createServer((req, res) => {
      req.resume();
      // Every other /flaky request fails; its retry succeeds.
      res.statusCode = req.url === '/flaky' && flaky++ % 2 === 0 ? 503 : 200;
      res.end();
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    proxy = await startOutboundProxy();
    proxy.setEndpoints([(app.address() as AddressInfo).port]);
    proxy.setProfile(`routes:
  - name: GET /books
    condition: { method: GET, pathRegex: /books }
  - name: GET /flaky
    condition: { method: GET, pathRegex: /flaky }
    isRetryable: true
retryBudget: { retryRatio: 1, minRetriesPerSecond: 100, ttl: 10s }`);
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-cli-routes-'));
    const state = {
      version: 'test',
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stateDir: dir,
      components: [
        { name: 'front-proxy', pid: 1, log: '', addresses: { admin: `http://127.0.0.1:${proxy.adminPort}` } },
      ],
      planned: [],
    };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  });

  after(async () => {
    await proxy.close();
    app.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('reports success, RPS and the retries of each ServiceProfile route', async () => {
    let out = '';
    let err = '';
    const sink = (append: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer | string, _enc, done) {
          append(chunk.toString());
          done();
        },
      });
    const ctx: CommandContext = {
      argv: ['--state-dir', '.', '--window', '1s', '-o', 'json'],
      env: {},
      stdout: sink((s) => (out += s)),
      stderr: sink((s) => (err += s)),
      signal: new AbortController().signal,
      program: 'nodemesh',
      cwd: dir,
      self: [process.execPath],
    };
    // Traffic before and during the window.
    let sending = true;
    const traffic = (async () => {
      for (let i = 0; i < 2_000 && sending; i++) {
        await proxy.get('/books');
        await proxy.get('/flaky');
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const code = await runRoutes(ctx);
    sending = false;
    await traffic;
    assert.equal(code, 0, err);
    const parsed = JSON.parse(out) as { workloads: { workload: string; routes: RouteRow[] }[] };
    const rows = parsed.workloads.flatMap((w) => w.routes);
    const books = rows.find((r) => r.route === 'GET /books');
    const flaky = rows.find((r) => r.route === 'GET /flaky');
    assert.ok(books !== undefined && flaky !== undefined, `both routes reported: ${out}`);
    assert.equal(books.successRate, 1);
    assert.ok(books.requestsPerSecond > 0, 'GET /books has traffic');
    assert.equal(flaky.successRate, 1, 'every GET /flaky succeeded after its retry');
    assert.ok(
      flaky.actualRequestsPerSecond !== null && flaky.actualRequestsPerSecond > flaky.requestsPerSecond * 1.5,
      `retries show as actual requests above requests (${flaky.actualRequestsPerSecond} vs ${flaky.requestsPerSecond})`,
    );
  });
});
