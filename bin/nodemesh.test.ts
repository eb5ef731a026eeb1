import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pkg from '../package.json' with { type: 'json' };

const BIN = fileURLToPath(new URL('./nodemesh.ts', import.meta.url));

async function nodemesh(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the nodemesh binary', () => {
  test('prints its version as text and JSON', async () => {
    const text = await nodemesh('version');
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`^nodemesh ${pkg.version.replace(/\./g, '\\.')} \\(node v24\\.`));
    const json = JSON.parse((await nodemesh('version', '-o', 'json')).stdout) as { version: string };
    assert.equal(json.version, pkg.version);
  });

  test('lists every subcommand of the layout in --help', async () => {
    const help = await nodemesh('--help');
    assert.equal(help.code, 0);
    for (const name of ['proxy', 'destination', 'identity', 'injector', 'proxy-init', 'cni', 'demo', 'version']) {
      assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'), `${name} missing from --help`);
    }
  });

  test('has --help for every subcommand', async () => {
    for (const name of ['proxy', 'destination', 'identity', 'injector', 'proxy-init', 'cni', 'demo', 'version']) {
      const help = await nodemesh(name, '--help');
      assert.equal(help.code, 0, name);
      assert.match(help.stdout, new RegExp(`^Usage: nodemesh ${name}`), name);
    }
  });

  test('exits 2 for an unknown command or flag', async () => {
    assert.equal((await nodemesh('frobnicate')).code, 2);
    const bad = await nodemesh('version', '--frob');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Unknown option '--frob'/);
  });
});
