// The proxy scenarios run their proxies with the chart's proxy.nodeOptions (what the injector gives
// every proxy) and the image's ENV lines; bench/lib/proxy-node-options.ts reads them from
// values.yaml and the Dockerfile.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chartProxyNodeOptions, formatEnv, imageEnv } from '../../bench/lib/proxy-node-options.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-settings-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `text` to a file `name` in the test's directory; its path. */
async function fileWith(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('chartProxyNodeOptions', () => {
  const values = fileWith;

  test("reads the chart's own values.yaml: a semi-space cap for the proxy", () => {
    assert.match(chartProxyNodeOptions(), /--max-semi-space-size=\d+/);
  });

  test('returns proxy.nodeOptions as written, and empty when it is unset', async () => {
    assert.equal(chartProxyNodeOptions(await values('a.yaml', "proxy:\n  nodeOptions: '--x=1'\n")), '--x=1');
    assert.equal(chartProxyNodeOptions(await values('b.yaml', 'proxy:\n  uid: 2102\n')), '');
    assert.equal(chartProxyNodeOptions(await values('c.yaml', '')), '');
  });

  test('refuses a value that is not a string, naming the key', async () => {
    const file = await values('d.yaml', 'proxy:\n  nodeOptions: 5\n');
    assert.throws(() => chartProxyNodeOptions(file), /proxy\.nodeOptions must be a string/);
  });
});

describe('imageEnv', () => {
  const dockerfile = fileWith;

  test("reads the image's own Dockerfile: one malloc arena (ADR 0024)", () => {
    assert.equal(imageEnv().MALLOC_ARENA_MAX, '1');
  });

  test('takes the ENV lines of the last stage only, several pairs to a line', async () => {
    const file = await dockerfile(
      'a',
      'FROM x AS build\nENV BUILD_ONLY=1\nFROM y\nRUN true\nENV A=1 B=two\nenv C=\nUSER 1\n',
    );
    assert.deepEqual(imageEnv(file), { A: '1', B: 'two', C: '' });
    assert.equal(formatEnv(imageEnv(file)), 'A=1 B=two C=');
  });

  test('refuses an ENV it cannot read as the shell would, naming it', async () => {
    await assert.rejects(
      async () => imageEnv(await dockerfile('b', 'FROM y\nENV A="quoted value"\n')),
      /ENV A="quoted is not NAME=value/,
    );
    await assert.rejects(async () => imageEnv(await dockerfile('c', 'FROM y\nENV A $B\n')), /ENV A is not NAME=value/);
  });
});
