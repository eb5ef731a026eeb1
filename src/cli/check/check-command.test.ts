// `nodemesh check` against fake components on 127.0.0.1: ready, not ready, unreachable, and a proxy
// certificate's time left.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { certificateResult, runCheck } from './check-command.ts';
import { runCommand } from '../../testing/index.ts';

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function fake(ready: string | undefined, expiresAt: number): http.Server {
  return http.createServer((req, res) => {
    if (req.url === '/ready') {
      if (ready === undefined) res.writeHead(200).end('ready\n');
      else res.writeHead(503).end(`not ready: ${ready}\n`);
    } else if (req.url === '/metrics') {
      res.writeHead(200).end(`identity_cert_expiration_timestamp_seconds ${expiresAt}\n`);
    } else res.writeHead(404).end();
  });
}

describe('nodemesh check', () => {
  let dir: string;
  const servers: http.Server[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-check-'));
    const now = Date.now() / 1000;
    const identity = fake(undefined, 0);
    const web = fake(undefined, now + 3600 * 24);
    const api = fake('no identity yet', 0);
    servers.push(identity, web, api);
    const gone = http.createServer();
    const gonePort = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));
    const component = (name: string, port: number): unknown => ({
      name,
      pid: 1,
      log: `/logs/${name}.log`,
      addresses: { admin: `http://127.0.0.1:${port}` },
    });
    const state = {
      components: [
        component('identity', await listen(identity)),
        component('web-proxy', await listen(web)),
        component('api-proxy', await listen(api)),
        component('destination', gonePort),
        { name: 'web', pid: 1, log: '', addresses: { app: 'node web.ts' } },
      ],
    };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  });

  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await rm(dir, { recursive: true, force: true });
  });

  async function check(
    argv: string[],
    cwd = dir,
    stateDir?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return runCommand(runCheck, stateDir === undefined ? argv : [...argv, '--state-dir', stateDir], { cwd });
  }

  test('reports each component and proxy certificate, and fails on the broken ones', async () => {
    const { code, stdout } = await check(['--state-dir', '.']);
    assert.equal(code, 1);
    assert.match(stdout, /^✔ identity is ready$/m);
    assert.match(stdout, /^✔ web-proxy is ready$/m);
    assert.match(stdout, /^✔ web-proxy mTLS certificate valid for (24h|23h59m\d+s)$/m);
    assert.match(stdout, /^✖ api-proxy is not ready: no identity yet\n {4}hint: see its log: \/logs\/api-proxy\.log$/m);
    assert.match(stdout, /^✖ api-proxy has no mTLS certificate yet$/m);
    assert.match(stdout, /^✖ destination is unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/m);
    assert.doesNotMatch(stdout, /^. web /m);
    assert.match(stdout, /^3 of 6 checks failed$/m);
  });

  test('without a running mesh it says so', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'nodemesh-check-empty-'));
    try {
      const { code, stderr } = await check([], empty);
      assert.equal(code, 1);
      assert.match(stderr, /no local mesh is running \(no \.nodemesh\/state\.json\); start one with npm start/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  test('with the identity service stopped it fails and says what that means', async () => {
    const stopped = await mkdtemp(path.join(tmpdir(), 'nodemesh-check-identity-'));
    const web = fake(undefined, Date.now() / 1000 + 3600);
    servers.push(web);
    try {
      const gone = http.createServer();
      const gonePort = await listen(gone);
      await new Promise((resolve) => gone.close(resolve));
      const state = {
        components: [
          { name: 'identity', pid: 1, log: '/logs/identity.log', addresses: { admin: `http://127.0.0.1:${gonePort}` } },
          { name: 'web-proxy', pid: 1, log: '', addresses: { admin: `http://127.0.0.1:${await listen(web)}` } },
        ],
      };
      await writeFile(path.join(stopped, 'state.json'), JSON.stringify(state));
      const { code, stdout } = await check([], path.dirname(stopped), path.basename(stopped));
      assert.equal(code, 1);
      assert.match(
        stdout,
        /^✖ identity is unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\n {4}hint: the identity service is down: proxies cannot get or renew mTLS certificates \(each keeps its current one until it expires\); restart the mesh \(npm start\)\. see its log: \/logs\/identity\.log$/m,
      );
      // The proxy keeps its certificate meanwhile.
      assert.match(stdout, /^✔ web-proxy mTLS certificate valid for/m);
      assert.match(stdout, /^1 of 3 checks failed$/m);
    } finally {
      await rm(stopped, { recursive: true, force: true });
    }
  });

  test('--control-plane-namespace and cluster flags need --kubernetes', async () => {
    await assert.rejects(check(['--control-plane-namespace', 'mesh']), /applies only with --kubernetes/);
    await assert.rejects(check(['--all-namespaces']), /applies only with --kubernetes/);
  });

  test('an expired certificate fails', () => {
    const c = { name: 'web-proxy', pid: 1, log: '', addresses: {} };
    const r = certificateResult(c, 1000, 1_000_000 + 90_000);
    assert.equal(r.ok, false);
    assert.equal(r.message, 'web-proxy mTLS certificate expired 1m30s ago');
  });
});
