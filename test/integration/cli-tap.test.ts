// `nodemesh tap` as people run it: the binary as a child process, against a real proxy process on
// loopback (identity disabled) that a state.json written by the test points at, as `nodemesh demo`
// writes it. Shows the default and JSON output, filters and --limit, Ctrl-C and --duration ending
// with exit 0, and the failures: an unknown workload (the known ones listed), an unreachable
// proxy, a state.json without a control address, and a proxy that refuses.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../src/net/index.ts';
import { killAll, nodemesh, startDaemon, waitReady, type Daemon } from '../support/processes.ts';
import { killTaps, startTap } from '../support/tap-process.ts';
import { h1Echo, type Upstream } from '../support/upstreams.ts';

describe('nodemesh tap against a real proxy', () => {
  let proxy: Daemon;
  let h1: Upstream;
  let outboundPort: number;
  let closedPort: number;
  let stateDir: string;

  before(async () => {
    h1 = await h1Echo();
    const [o, i, a, c] = [await freePort(), await freePort(), await freePort(), await freePort()];
    outboundPort = o;
    closedPort = await freePort();
    proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `127.0.0.1:${o}`,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${a}`,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: `127.0.0.1:${c}`,
      NODEMESH_PROXY_TAP_MAX_SESSIONS: '2',
      NODEMESH_LOG_FORMAT: 'json',
    });
    await waitReady(proxy, `http://127.0.0.1:${a}/ready`);
    stateDir = await mkdtemp(path.join(tmpdir(), 'nodemesh-tap-'));
    const component = (name: string, addresses: Record<string, string>) => ({ name, pid: 1, log: '', addresses });
    await writeFile(
      path.join(stateDir, 'state.json'),
      JSON.stringify({
        components: [
          component('destination', { admin: 'http://127.0.0.1:1' }),
          component('web-0-proxy', { admin: `http://127.0.0.1:${a}`, control: `http://127.0.0.1:${c}` }),
          component('front-0-proxy', {
            admin: `http://127.0.0.1:${closedPort}`,
            control: `http://127.0.0.1:${closedPort}`,
          }),
          component('old-0-proxy', { admin: `http://127.0.0.1:${closedPort}` }),
        ],
      }),
    );
  });

  after(async () => {
    killTaps();
    await proxy?.stop();
    killAll();
    await h1?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  /** A request through the proxy's outbound listener to the echo upstream. */
  const send = (method: string, urlPath: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: outboundPort,
          method,
          path: urlPath,
          agent: false,
          headers: { host: `127.0.0.1:${h1.port}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });

  test('-o json prints the proxy lines and --limit ends the tap with exit 0', async () => {
    const tap = startTap(['web-0', '--state-dir', stateDir, '-o', 'json', '--limit', '2']);
    await tap.waitFor('err', /tapping web-0 \(http:\/\/127\.0\.0\.1:\d+\/tap\?limit=2\); Ctrl-C to stop/);
    for (const p of ['/one', '/two', '/three']) assert.equal(await send('GET', p), 200);
    assert.equal(await tap.exited, 0, tap.stderr());
    const lines = tap
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => (l.type === 'request' ? [l.method, l.path, l.status, l.direction] : l)),
      [['GET', '/one', 200, 'outbound'], ['GET', '/two', 200, 'outbound'], { type: 'end', reason: 'limit' }],
    );
  });

  test('prints one line per request, filtered by method and path', async () => {
    const tap = startTap(['web-0', '--state-dir', stateDir, '--method', 'post', '--path', '/orders', '--limit', '1']);
    await tap.waitFor('err', /tapping web-0/);
    await send('GET', '/orders/1');
    await send('POST', '/cart');
    await send('POST', '/orders?x=1');
    assert.equal(await tap.exited, 0, tap.stderr());
    const out = tap.stdout().trim().split('\n');
    assert.equal(out.length, 1, tap.stdout());
    assert.match(
      out[0] ?? '',
      new RegExp(
        `^req id=\\d+ proxy=out src=127\\.0\\.0\\.1:\\d+ dst=127\\.0\\.0\\.1:${h1.port} tls=false :method=POST :authority=127\\.0\\.0\\.1:${h1.port} :path=/orders\\?x=1 :status=200 latency=[\\d.]+ms duration=[\\d.]+ms$`,
      ),
    );
  });

  test('Ctrl-C ends the tap with exit 0', async () => {
    const tap = startTap(['web-0', '--state-dir', stateDir]);
    await tap.waitFor('err', /tapping web-0/);
    await send('GET', '/before-ctrl-c');
    await tap.waitFor('out', /:path=\/before-ctrl-c /);
    tap.proc.kill('SIGINT');
    assert.equal(await tap.exited, 0, tap.stderr());
  });

  test('--duration ends the tap by itself with exit 0', async () => {
    const started = Date.now();
    const tap = startTap(['web-0', '--state-dir', stateDir, '--duration', '500ms']);
    assert.equal(await tap.exited, 0, tap.stderr());
    assert.ok(Date.now() - started >= 500);
  });

  test('an unknown workload lists the known ones', async () => {
    const result = await nodemesh(['tap', 'api-0', '--state-dir', stateDir]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error: no workload named "api-0" in the local mesh; known: web-0, front-0, old-0/);
  });

  test('an unreachable proxy gives a clear error', async () => {
    const result = await nodemesh(['tap', 'front-0', '--state-dir', stateDir]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `error: cannot reach front-0's proxy at http://127\\.0\\.0\\.1:${closedPort} \\(ECONNREFUSED\\); is the local mesh running\\?`,
      ),
    );
  });

  test('a proxy without a control address in state.json is named', async () => {
    const result = await nodemesh(['tap', 'old-0-proxy', '--state-dir', stateDir]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no control address for old-0-proxy/);
  });

  test("the proxy's refusal is shown with its reason", async () => {
    const held = [startTap(['web-0', '--state-dir', stateDir]), startTap(['web-0', '--state-dir', stateDir])];
    for (const t of held) await t.waitFor('err', /tapping web-0/);
    const result = await nodemesh(['tap', 'web-0', '--state-dir', stateDir]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /error: web-0's proxy refused to tap \(HTTP 503\): 2 tap sessions are open already \(NODEMESH_PROXY_TAP_MAX_SESSIONS\)/,
    );
    for (const t of held) t.proc.kill('SIGINT');
    for (const t of held) assert.equal(await t.exited, 0);
  });

  test('no local mesh running is said plainly', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'nodemesh-tap-none-'));
    try {
      const result = await nodemesh(['tap', 'web-0', '--state-dir', empty]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /no local mesh is running/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
