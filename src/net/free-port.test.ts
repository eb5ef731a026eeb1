import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ephemeralRangeStart, freePort } from './free-port.ts';

describe('freePort', () => {
  test('gives a port below the ephemeral range that can be bound', async () => {
    const start = ephemeralRangeStart();
    const port = await freePort();
    if (start !== undefined && start > 11_000) assert.ok(port >= 10_000 && port < start, `${port} below ${start}`);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('ports asked for in a row are different', async () => {
    const ports = [];
    for (let i = 0; i < 200; i++) ports.push(await freePort());
    assert.equal(new Set(ports).size, ports.length);
  });

  test('reads the range start, and gives up on what it cannot read', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-ports-'));
    try {
      await writeFile(path.join(dir, 'range'), '32768\t60999\n');
      assert.equal(ephemeralRangeStart(path.join(dir, 'range')), 32768);
      await writeFile(path.join(dir, 'bad'), 'not numbers\n');
      assert.equal(ephemeralRangeStart(path.join(dir, 'bad')), undefined);
      assert.equal(ephemeralRangeStart(path.join(dir, 'missing')), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
