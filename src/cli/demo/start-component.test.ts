import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../../net/index.ts';
import type { DemoComponent } from './demo-components.ts';
import { startComponent } from './start-component.ts';
import { ChildProcessError, Supervisor } from './supervisor.ts';

// A stand-in component: `exit` exits at once with code 3 (as a dashboard whose port was taken
// does); `serve PORT` answers 200 on 127.0.0.1:PORT until it is stopped; `hang` runs and never
// answers.
const CHILD = `
const [mode, port] = process.argv.slice(1);
if (mode === 'exit') { console.error('listen EADDRINUSE'); process.exit(3); }
if (mode === 'hang') setInterval(() => {}, 1000);
else require('node:http').createServer((_, res) => res.end('ok')).listen(Number(port), '127.0.0.1');
`;

async function component(
  mode: 'exit' | 'serve' | 'hang',
  fallback?: DemoComponent['fallback'],
): Promise<DemoComponent> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  return {
    spec: { name: 'dashboard', args: [mode, String(port)], env: {}, readyUrl: url },
    addresses: { url },
    ...(fallback === undefined ? {} : { fallback }),
  };
}

describe('startComponent', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function supervisor(exits: string[], readyTimeoutMs = 10_000): Promise<Supervisor> {
    const logDir = await mkdtemp(path.join(tmpdir(), 'nodemesh-start-'));
    dirs.push(logDir);
    return new Supervisor({
      self: [process.execPath, '-e', CHILD],
      logDir,
      inheritEnv: {},
      readyTimeoutMs,
      onExit: (name, code) => exits.push(`${name}:${code}`),
    });
  }

  test('starts the fallback once when the first spec exits while starting', async () => {
    const exits: string[] = [];
    const sup = await supervisor(exits);
    const reported: ChildProcessError[] = [];
    let second: DemoComponent | undefined;
    const first = await component('exit', async () => (second = await component('serve')));
    try {
      const started = await startComponent(sup, first, (err) => reported.push(err));
      assert.equal(reported.length, 1);
      assert.match(reported[0]!.message, /^dashboard exited with code 3;[\s\S]*EADDRINUSE/);
      assert.equal(started.component, second);
      assert.equal((await fetch(started.component.addresses.url!)).status, 200);
      assert.deepEqual(exits, ['dashboard:3']);
    } finally {
      await sup.stopAll();
    }
  });

  test('throws the start error when there is no fallback', async () => {
    const sup = await supervisor([]);
    try {
      await assert.rejects(
        startComponent(sup, await component('exit'), () => assert.fail('no fallback to report')),
        (err) => err instanceof ChildProcessError && /exited with code 3/.test(err.message),
      );
    } finally {
      await sup.stopAll();
    }
  });

  test('a component still running but not ready in time gets no second copy', async () => {
    const sup = await supervisor([], 500);
    try {
      const first = await component('hang', () => assert.fail('no fallback for a running component'));
      await assert.rejects(
        startComponent(sup, first, () => assert.fail('nothing to report')),
        (err) => err instanceof ChildProcessError && /was not ready/.test(err.message),
      );
    } finally {
      await sup.stopAll();
    }
  });

  test("throws the fallback's error when the fallback fails too", async () => {
    const sup = await supervisor([]);
    let reports = 0;
    try {
      const first = await component('exit', () => component('exit'));
      await assert.rejects(
        startComponent(sup, first, () => reports++),
        (err) => err instanceof ChildProcessError,
      );
      assert.equal(reports, 1);
    } finally {
      await sup.stopAll();
    }
  });
});
