import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildReason } from './dashboard-build.ts';

test('the page is rebuilt when dist is missing or older than a source, not otherwise', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'nodemesh-dashboard-build-'));
  try {
    await mkdir(path.join(root, 'src', 'views'), { recursive: true });
    const source = path.join(root, 'src', 'views', 'app.tsx');
    await writeFile(source, 'x');
    await writeFile(path.join(root, 'index.html'), 'x');
    assert.equal(await buildReason(root), 'dashboard/dist is missing');

    await mkdir(path.join(root, 'dist'));
    const built = path.join(root, 'dist', 'index.html');
    await writeFile(built, 'x');
    const t = Date.now() / 1000;
    await utimes(source, t - 100, t - 100);
    await utimes(path.join(root, 'index.html'), t - 100, t - 100);
    await utimes(path.join(root, 'src', 'views'), t - 100, t - 100);
    await utimes(path.join(root, 'src'), t - 100, t - 100);
    await utimes(built, t - 50, t - 50);
    assert.equal(await buildReason(root), undefined);

    await utimes(source, t, t); // a source edited after the build, deep in src/
    assert.equal(await buildReason(root), 'dashboard/dist is older than dashboard/src');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
