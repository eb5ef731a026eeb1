// The local mesh as a user runs it: `nodemesh demo` starts, writes its state, refuses a second
// copy, and stops cleanly on SIGINT (Ctrl-C) and at the end of --duration.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';

const BIN = fileURLToPath(new URL('../../bin/nodemesh.ts', import.meta.url));

interface Run {
  readonly proc: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

function start(args: string[]): Run {
  const proc = spawn(process.execPath, [BIN, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => output, exit };
}

async function waitFor(run: Run, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (Date.now() > deadline || run.proc.exitCode !== null)
      assert.fail(`did not see ${pattern}; output:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * fetch, retried on a network error: a keep-alive connection the server closed just as the next
 * request went out (timers run late on a loaded machine) fails with ECONNRESET, not a status.
 */
async function fetchRetrying(url: string): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

describe('nodemesh demo', () => {
  const dirs: string[] = [];
  const runs: Run[] = [];
  after(async () => {
    for (const run of runs) if (run.proc.exitCode === null) run.proc.kill('SIGKILL');
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('runs, refuses a second copy, and stops cleanly on SIGINT', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-demo-'));
    dirs.push(dir);
    const first = start(['--state-dir', dir]);
    runs.push(first);
    await waitFor(first, /press Ctrl-C to stop/, 60_000);
    const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as {
      pid: number;
      stateDir: string;
      components: { name: string; addresses: Record<string, string> }[];
    };
    assert.equal(state.pid, first.proc.pid);
    assert.equal(state.stateDir, dir);
    const identity = state.components.find((c) => c.name === 'identity');
    assert.ok(identity !== undefined, 'the identity service is part of the local mesh');
    assert.equal((await fetchRetrying(`${identity.addresses.admin}/ready`)).status, 200);
    const destination = state.components.find((c) => c.name === 'destination');
    assert.ok(destination !== undefined, 'the destination service is part of the local mesh');
    assert.equal((await fetchRetrying(`${destination.addresses.admin}/ready`)).status, 200);

    // Traffic flows from front to both web replicas, over mTLS, with front's identity.
    const front = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';
    for (const pod of ['web-0', 'web-1']) {
      const proxy = state.components.find((c) => c.name === `${pod}-proxy`);
      assert.ok(proxy !== undefined, `${pod} has a proxy`);
      let served = 0;
      let plaintext = 0;
      for (let i = 0; i < 150 && served === 0; i++) {
        const metrics = parsePrometheusText(await (await fetchRetrying(`${proxy.addresses.admin}/metrics`)).text());
        served = sumSamples(metrics, 'request_total', { direction: 'inbound', tls: 'true', client_id: front });
        plaintext = sumSamples(metrics, 'request_total', { direction: 'inbound', tls: 'no_identity' });
        if (served === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(served > 0, `${pod} received mTLS requests from front`);
      assert.equal(plaintext, 0, `${pod} received no plaintext requests`);
    }

    const second = start(['--state-dir', dir]);
    runs.push(second);
    assert.equal(await second.exit, 1, second.output());
    assert.match(second.output(), /\[MESH_ERR_DEMO_RUNNING\]: a local mesh is already running \(pid \d+\)/);

    first.proc.kill('SIGINT');
    assert.equal(await first.exit, 0, first.output());
    await assert.rejects(fetch(`${identity.addresses.admin}/live`), 'the identity child process is stopped too');
    assert.match(first.output(), /nodemesh demo: stopped/);
    await assert.rejects(access(path.join(dir, 'demo.pid')), 'the lock is released');
    await assert.rejects(access(path.join(dir, 'state.json')), 'the state file is removed');
  });

  test('stops by itself at the end of --duration and exits 0', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-demo-'));
    dirs.push(dir);
    const run = start(['--state-dir', dir, '--duration', '500ms']);
    runs.push(run);
    assert.equal(await run.exit, 0, run.output());
    assert.match(run.output(), /stopping by itself after 500ms/);
  });

  test('a component that dies says so with the end of its log, and the demo exits 1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-demo-'));
    dirs.push(dir);
    const run = start(['--state-dir', dir, '--duration', '60s']);
    runs.push(run);
    await waitFor(run, /stopping by itself after/, 60_000);
    const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as {
      components: { name: string; pid: number }[];
    };
    const proxy = state.components.find((c) => c.name === 'web-1-proxy');
    assert.ok(proxy !== undefined);
    process.kill(proxy.pid, 'SIGKILL');
    assert.equal(await run.exit, 1, run.output());
    assert.match(run.output(), /web-1-proxy exited unexpectedly \(code none, signal SIGKILL\)/);
    assert.match(run.output(), /^ {2}\{.*"name":"proxy"/m, 'the end of its log is shown, indented');
  });

  test('refuses a duration without units with exit code 2', async () => {
    const run = start(['--duration', '60']);
    runs.push(run);
    assert.equal(await run.exit, 2);
    assert.match(run.output(), /--duration "60" is not a duration/);
  });
});
