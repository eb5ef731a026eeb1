import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { catchRejection } from '../../testing/index.ts';
import { DemoAlreadyRunningError, acquireStateLock } from './state-lock.ts';

describe('acquireStateLock', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-lock-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('refuses a second holder while the first is alive, then allows it after release', async () => {
    const dir = await tempDir();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      const first = await acquireStateLock(dir, sleeper.pid);
      const err = await catchRejection(() => acquireStateLock(dir), DemoAlreadyRunningError);
      assert.equal(err.pid, sleeper.pid);
      assert.match(err.message, /already running \(pid \d+\)/);
      await first.release();
      const second = await acquireStateLock(dir);
      await second.release();
    } finally {
      sleeper.kill();
    }
  });

  test('replaces a lock left by a process that is gone', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'demo.pid'), '999999999\n');
    const lock = await acquireStateLock(dir);
    assert.equal((await readFile(lock.file, 'utf8')).trim(), String(process.pid));
    await lock.release();
  });

  test('does not remove a lock that another process took over', async () => {
    const dir = await tempDir();
    const lock = await acquireStateLock(dir);
    await writeFile(lock.file, '12345\n');
    await lock.release();
    assert.equal((await readFile(lock.file, 'utf8')).trim(), '12345');
  });
});
