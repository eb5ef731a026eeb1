import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import type { CommandContext } from '../command.ts';
import { createProxyAwaitCommand, runProxyAwait } from './proxy-await-command.ts';

function context(argv: string[], signal = new AbortController().signal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const ctx: CommandContext = {
    argv,
    env: {},
    stdout,
    stderr,
    signal,
    program: 'nodemesh',
    cwd: process.cwd(),
    self: ['node'],
  };
  return { ctx, out: () => out, err: () => err };
}

/** Virtual time: sleeping advances the clock. */
function virtualTime() {
  let t = 0;
  return {
    now: () => t,
    sleep: (ms: number) => {
      t += ms;
      return Promise.resolve();
    },
  };
}

describe('nodemesh proxy-await', () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  test('returns 0 once a real /ready answers 200 after some 503s', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      calls++;
      res.statusCode = req.url === '/ready' && calls >= 3 ? 200 : 503;
      res.end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const run = context(['--port', String(port), '--timeout', '10s']);
    assert.equal(await runProxyAwait(run.ctx), 0);
    assert.equal(calls, 3);
    assert.match(run.out(), /the proxy is ready \(http:\/\/127\.0\.0\.1:\d+\/ready answered 200/);
  });

  test('returns 1 after the timeout with the last error, bounded in attempts', async () => {
    const time = virtualTime();
    let attempts = 0;
    const run = context(['--timeout', '5s']);
    const code = await createProxyAwaitCommand({
      ...time,
      get: () => {
        attempts++;
        return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:4191'));
      },
    })(run.ctx);
    assert.equal(code, 1);
    assert.equal(time.now(), 5000, 'stops at the timeout');
    assert.ok(attempts >= 5 && attempts <= 12, `backs off to 1 s between attempts (${attempts})`);
    assert.match(run.err(), /is not ready after 5s; last answer: connect ECONNREFUSED 127\.0\.0\.1:4191/);
  });

  test('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const run = context([], controller.signal);
    const code = await createProxyAwaitCommand({ ...virtualTime(), get: () => Promise.resolve(503) })(run.ctx);
    assert.equal(code, 1);
    assert.match(run.err(), /is stopped/);
  });

  test('refuses a bad port or timeout as a usage error', async () => {
    for (const argv of [
      ['--port', '0'],
      ['--port', 'x'],
      ['--timeout', 'soon'],
    ]) {
      await assert.rejects(createProxyAwaitCommand({})(context(argv).ctx), { code: 'MESH_ERR_USAGE' });
    }
  });
});
