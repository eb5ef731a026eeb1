import assert from 'node:assert/strict';
import { access, constants, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/log/index.ts';
import { ConfigError } from '../../src/errors/index.ts';
import {
  ConflistKeeper,
  KUBECONFIG_NAME,
  PLUGIN_BINARY,
  RUNTIME_DIR,
  installPlugin,
  keepInstalled,
  readPluginEntry,
} from './cni-install.ts';
import { parseInstallConfig, type InstallConfig } from './install-config.ts';

const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });
const CALICO = { cniVersion: '1.0.0', name: 'k8s-pod-network', plugins: [{ type: 'calico' }] };

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`not within 5 s: ${what}`);
}

describe('nodemesh cni install', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'nodemesh-cni-install-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  const layout = async (name: string, extra: Record<string, string> = {}): Promise<InstallConfig> => {
    const dir = path.join(root, name);
    await mkdir(path.join(dir, 'net.d'), { recursive: true });
    await mkdir(path.join(dir, 'bin'), { recursive: true });
    await writeFile(
      path.join(dir, 'entry.json'),
      JSON.stringify({ type: 'nodemesh-cni', name: 'nodemesh-cni', nodemesh: { 'proxy-uid': 2102 } }),
    );
    await writeFile(path.join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
    return parseInstallConfig({
      NODEMESH_CNI_NET_DIR: path.join(dir, 'net.d'),
      NODEMESH_CNI_BIN_DIR: path.join(dir, 'bin'),
      NODEMESH_CNI_CONFIG_FILE: path.join(dir, 'entry.json'),
      NODEMESH_CNI_HOST_NET_DIR: '/etc/cni/net.d',
      NODEMESH_CNI_KUBECONFIG: path.join(dir, 'kubeconfig'),
      NODEMESH_CNI_RESYNC_INTERVAL: '200ms',
      ...extra,
    });
  };

  const chainOf = async (file: string): Promise<string[]> =>
    ((JSON.parse(await readFile(file, 'utf8')) as { plugins: { type: string }[] }).plugins ?? []).map((p) => p.type);

  test('settings are checked at start, every problem named', () => {
    assert.throws(
      () => parseInstallConfig({ NODEMESH_CNI_NET_DIR: 'relative', NODEMESH_CNI_RUNTIME: 'zip' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /NODEMESH_CNI_NET_DIR/.test(e.message) &&
        /NODEMESH_CNI_BIN_DIR/.test(e.message) &&
        /NODEMESH_CNI_CONFIG_FILE/.test(e.message) &&
        /NODEMESH_CNI_RUNTIME/.test(e.message),
    );
  });

  test('appends itself, re-appends when another plugin rewrites the file, and leaves on stop', async () => {
    const config = await layout('keep');
    const conflist = path.join(config.netDir, '10-calico.conflist');
    await writeFile(conflist, JSON.stringify(CALICO));
    const entry = await readPluginEntry(config);
    assert.deepEqual(
      entry['kubernetes'],
      { kubeconfig: `/etc/cni/net.d/${KUBECONFIG_NAME}` },
      'the host path of the kubeconfig',
    );
    const keeper = new ConflistKeeper(config, entry, () => readFile(config.kubeconfig ?? '', 'utf8'), log);
    const stop = new AbortController();
    const running = keepInstalled(keeper, config, stop.signal);

    await eventually('the entry is appended', async () => (await chainOf(conflist)).join() === 'calico,nodemesh-cni');
    assert.equal(await readFile(path.join(config.netDir, KUBECONFIG_NAME), 'utf8'), 'apiVersion: v1\nkind: Config\n');
    assert.equal((await stat(path.join(config.netDir, KUBECONFIG_NAME))).mode & 0o777, 0o600);

    // Another CNI plugin rewrites its configuration without us.
    await writeFile(conflist, JSON.stringify({ ...CALICO, plugins: [{ type: 'calico', mtu: 1400 }] }));
    await eventually(
      'the entry is appended again',
      async () => (await chainOf(conflist)).join() === 'calico,nodemesh-cni',
    );

    stop.abort();
    await running;
    assert.deepEqual(await chainOf(conflist), ['calico']);
    assert.deepEqual(JSON.parse(await readFile(conflist, 'utf8')), {
      ...CALICO,
      plugins: [{ type: 'calico', mtu: 1400 }],
    });
    assert.deepEqual(
      await readdir(config.netDir),
      ['10-calico.conflist'],
      'kubeconfig removed, no temporary files left',
    );
  });

  test('waits for a network configuration to appear, and keeps serving past a broken one', async () => {
    const config = await layout('wait');
    const keeper = new ConflistKeeper(config, await readPluginEntry(config), () => Promise.resolve('kc'), log);
    const stop = new AbortController();
    const running = keepInstalled(keeper, config, stop.signal);
    await writeFile(path.join(config.netDir, '05-broken.conflist'), '{not json');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await readFile(path.join(config.netDir, '05-broken.conflist'), 'utf8'), '{not json', 'left alone');
    await rm(path.join(config.netDir, '05-broken.conflist'));
    await writeFile(path.join(config.netDir, '10-calico.conflist'), JSON.stringify(CALICO));
    await eventually('appended once a usable file exists', async () =>
      (await chainOf(path.join(config.netDir, '10-calico.conflist'))).includes('nodemesh-cni'),
    );
    stop.abort();
    await running;
  });

  test('in-place: the launcher runs this Node.js and nodemesh', async () => {
    const config = await layout('in-place', { NODEMESH_CNI_RUNTIME: 'in-place' });
    const launcher = await installPlugin(config, ['/usr/bin/node-x', '/srv/nodemesh/bin/nodemesh.ts'], log);
    assert.equal(launcher, path.join(config.binDir, PLUGIN_BINARY));
    await access(launcher, constants.X_OK);
    assert.match(
      await readFile(launcher, 'utf8'),
      /^#!\/bin\/sh\n#.*\nexec '\/usr\/bin\/node-x' '\/srv\/nodemesh\/bin\/nodemesh\.ts' cni "\$@"\n$/,
    );
  });

  test('copy: Node.js and nodemesh are copied beside the launcher once per version, host paths in the launcher', async () => {
    const config = await layout('copy', { NODEMESH_CNI_HOST_BIN_DIR: '/opt/cni/bin' });
    const app = path.join(root, 'copy', 'app');
    await mkdir(path.join(app, 'bin'), { recursive: true });
    await mkdir(path.join(app, '.git'), { recursive: true });
    await writeFile(path.join(app, 'bin', 'nodemesh.js'), 'console.log(1)');
    await writeFile(path.join(app, '.git', 'HEAD'), 'ref');
    const node = path.join(root, 'copy', 'node');
    await writeFile(node, '#!/bin/sh\n');
    await installPlugin(config, [node, path.join(app, 'bin', 'nodemesh.js')], log);
    const target = path.join(config.binDir, RUNTIME_DIR);
    assert.equal(await readFile(path.join(target, 'app', 'bin', 'nodemesh.js'), 'utf8'), 'console.log(1)');
    await assert.rejects(access(path.join(target, 'app', '.git')), 'no .git copied');
    await access(path.join(target, 'node'), constants.X_OK);
    assert.match(
      await readFile(path.join(config.binDir, PLUGIN_BINARY), 'utf8'),
      /exec '\/opt\/cni\/bin\/nodemesh-cni\.d\/node' '\/opt\/cni\/bin\/nodemesh-cni\.d\/app\/bin\/nodemesh\.js' cni "\$@"/,
    );
    const copied = (await stat(path.join(target, 'app', 'bin', 'nodemesh.js'))).mtimeMs;
    await writeFile(path.join(app, 'bin', 'nodemesh.js'), 'changed, same version');
    await installPlugin(config, [node, path.join(app, 'bin', 'nodemesh.js')], log);
    assert.equal((await stat(path.join(target, 'app', 'bin', 'nodemesh.js'))).mtimeMs, copied, 'not copied again');
  });

  test('an entry of another type is refused with the file named', async () => {
    const config = await layout('bad-entry');
    await writeFile(config.configFile, JSON.stringify({ type: 'calico' }));
    await assert.rejects(readPluginEntry(config), /entry\.json has "type": "calico"; allowed: "nodemesh-cni"/);
  });
});
