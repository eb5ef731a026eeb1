// runDestination as the CLI runs it, in process: files mode on loopback starts, serves, and
// returns 0 once its signal aborts; a bad setting fails before anything starts.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import type { CommandContext } from '../../src/cli/index.ts';
import { ConfigError } from '../../src/errors/index.ts';
import { catchRejection } from '../../src/testing/index.ts';
import { runDestination } from './main.ts';

function context(env: Record<string, string>, signal: AbortSignal): CommandContext {
  return {
    argv: [],
    env,
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    signal,
    program: 'nodemesh',
    cwd: process.cwd(),
    self: [process.execPath],
  };
}

describe('runDestination', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('serves a folder on loopback and stops when aborted', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-destination-main-'));
    dirs.push(dir);
    const abort = new AbortController();
    const run = runDestination(
      context(
        {
          NODEMESH_DESTINATION_SOURCE: 'files',
          NODEMESH_DESTINATION_RESOURCES_DIR: dir,
          NODEMESH_DESTINATION_LISTEN_ADDR: '127.0.0.1:0',
          NODEMESH_DESTINATION_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
          NODEMESH_LOG_LEVEL: 'silent',
        },
        abort.signal,
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    assert.equal(await run, 0);
  });

  test('refuses a bad setting with a ConfigError', async () => {
    const err = await catchRejection(
      () => runDestination(context({ NODEMESH_DESTINATION_SOURCE: 'etcd' }, new AbortController().signal)),
      ConfigError,
    );
    assert.match(err.message, /NODEMESH_DESTINATION_SOURCE/);
  });
});
