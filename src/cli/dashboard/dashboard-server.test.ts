import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DashboardSnapshot } from './dashboard-api.ts';
import { DashboardServer } from './dashboard-server.ts';

describe('DashboardServer', () => {
  let dir: string;
  let server: DashboardServer;
  let base: string;
  let snapshot: DashboardSnapshot | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-dashboard-'));
    const dist = path.join(dir, 'dist');
    await mkdir(path.join(dist, 'assets'), { recursive: true });
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>x</title>');
    await writeFile(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'secret.txt'), 'secret');
    server = new DashboardServer({ dist, snapshot: () => snapshot });
    const address = await server.listen('127.0.0.1', 0);
    base = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('serves the page and its assets with a same-origin-only policy', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(await page.text(), '<!doctype html><title>x</title>');
    const js = await fetch(`${base}/assets/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    await js.text();
  });

  test('nothing outside dist, and only GET and HEAD', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/missing.js']) {
      const res = await fetch(`${base}${p}`);
      assert.equal(res.status, 404, p);
      await res.text();
    }
    const malformed = await fetch(`${base}/%E0%A4%A.js`);
    assert.equal(malformed.status, 400, 'a path that is not percent-encoding');
    await malformed.text();
    const post = await fetch(`${base}/api/snapshot`, { method: 'POST' });
    assert.equal(post.status, 405);
    await post.text();
  });

  test('/api/snapshot answers 503 before the first round, then the snapshot', async () => {
    snapshot = undefined;
    const early = await fetch(`${base}/api/snapshot`);
    assert.equal(early.status, 503);
    assert.match(((await early.json()) as { error: string }).error, /first round/);
    snapshot = {
      seq: 3,
      takenAt: new Date(0).toISOString(),
      intervalMs: 2000,
      problem: null,
      workloads: [],
      routes: [],
      edges: [],
      splits: [],
      history: [],
    };
    const res = await fetch(`${base}/api/snapshot`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), snapshot);
  });
});
