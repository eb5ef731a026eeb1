// `nodemesh cni install`: what the nodemesh-cni DaemonSet runs on every node. It puts the plugin
// into the node's CNI plugin folder, writes the plugin's kubeconfig, appends the plugin's entry to
// the chain of the node's network configuration, and keeps it there: when another network plugin
// rewrites the configuration (they do, on their own upgrades and restarts), the entry is appended
// again, on the folder's change events and on a periodic resync. On SIGTERM it takes its entry
// and kubeconfig out again, so a node without the DaemonSet creates pods without the plugin.
//
// Contract: returns 0 after a clean stop, 1 when the settings or the plugin's entry are unusable
// (named in the error). A configuration it cannot edit (not JSON, not CNI) is logged and retried;
// it never deletes another plugin's entry or file (a `.conf` it turns into a `.conflist` is the
// only file it replaces).

import { watch, type FSWatcher } from 'node:fs';
import { chmod, cp, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EnvSource } from '../../src/config/index.ts';
import type { Logger } from '../../src/log/index.ts';
import { VERSION } from '../../src/version.ts';
import { PLUGIN_TYPE } from './cni-config.ts';
import { ConflistError, addPlugin, pickConfigFile, removePlugin } from './conflist.ts';
import type { InstallConfig } from './install-config.ts';
import { pid, version as nodeVersion } from 'node:process';

export const PLUGIN_BINARY = 'nodemesh-cni';
export const KUBECONFIG_NAME = 'ZZZ-nodemesh-cni-kubeconfig';
export const RUNTIME_DIR = 'nodemesh-cni.d';
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export class InstallError extends Error {
  override readonly name = 'InstallError';
}

/** Reads the plugin's entry and points it at the kubeconfig this installer writes. */
export async function readPluginEntry(config: InstallConfig): Promise<Record<string, unknown>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(config.configFile, 'utf8'));
  } catch (err) {
    throw new InstallError(`cannot read the plugin entry ${config.configFile}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InstallError(`${config.configFile} is not a JSON object`);
  }
  const entry = raw as Record<string, unknown>;
  if (entry['type'] !== PLUGIN_TYPE) {
    throw new InstallError(
      `${config.configFile} has "type": ${JSON.stringify(entry['type'])}; allowed: "${PLUGIN_TYPE}"`,
    );
  }
  const kubernetes = typeof entry['kubernetes'] === 'object' && entry['kubernetes'] !== null ? entry['kubernetes'] : {};
  return { ...entry, kubernetes: { ...kubernetes, kubeconfig: path.join(config.hostNetDir, KUBECONFIG_NAME) } };
}

/**
 * Puts the plugin executable into the plugin folder: a small launcher script, and in `copy` mode
 * Node.js and nodemesh beside it (copied again only when their versions change).
 */
export async function installPlugin(
  config: InstallConfig,
  self: readonly [string, ...string[]],
  log: Logger,
): Promise<string> {
  const [node, bin] = self;
  if (bin === undefined) throw new InstallError('cannot tell where nodemesh itself is (no script path)');
  let command: [string, string];
  if (config.runtime === 'in-place') {
    command = [node, bin];
  } else {
    const appRoot = path.resolve(path.dirname(bin), '..');
    const target = path.join(config.binDir, RUNTIME_DIR);
    const stamp = `${VERSION} ${nodeVersion}\n`;
    const current = await readFile(path.join(target, 'VERSION'), 'utf8').catch(() => '');
    if (current !== stamp) {
      const tmp = `${target}.tmp`;
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp, { recursive: true });
      await cp(node, path.join(tmp, 'node'));
      await chmod(path.join(tmp, 'node'), 0o755);
      await cp(appRoot, path.join(tmp, 'app'), {
        recursive: true,
        filter: (src) => !/\/(\.git|\.nodemesh|test-artifacts)(\/|$)/.test(src),
      });
      await writeFile(path.join(tmp, 'VERSION'), stamp);
      await rm(target, { recursive: true, force: true });
      await rename(tmp, target);
      log.info({ target, version: stamp.trim() }, 'copied Node.js and nodemesh for the plugin');
    }
    const hostTarget = path.join(config.hostBinDir, RUNTIME_DIR);
    command = [path.join(hostTarget, 'node'), path.join(hostTarget, 'app', path.relative(appRoot, bin))];
  }
  const launcher = path.join(config.binDir, PLUGIN_BINARY);
  const script = `#!/bin/sh\n# Installed by nodemesh cni install ${VERSION}; the nodemesh CNI plugin.\nexec ${command.map(shellQuote).join(' ')} cni "$@"\n`;
  await writeAtomic(launcher, script, 0o755);
  log.info({ launcher, runtime: config.runtime }, 'plugin installed');
  return launcher;
}

/** The plugin's kubeconfig: the given file as is, or one built from the service account. */
export async function kubeconfigText(
  config: InstallConfig,
  env: EnvSource,
  saDir = SERVICE_ACCOUNT_DIR,
): Promise<string> {
  if (config.kubeconfig !== undefined) return readFile(config.kubeconfig, 'utf8');
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (host === undefined) {
    throw new InstallError(
      'not in a pod (KUBERNETES_SERVICE_HOST is not set) and NODEMESH_CNI_KUBECONFIG is not set; allowed: run in the nodemesh-cni DaemonSet, or set NODEMESH_CNI_KUBECONFIG to a kubeconfig file',
    );
  }
  const token = (await readFile(path.join(saDir, 'token'), 'utf8')).trim();
  const ca = await readFile(path.join(saDir, 'ca.crt'));
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server, 'certificate-authority-data': ca.toString('base64') } }],
    users: [{ name: 'nodemesh-cni', user: { token } }],
    contexts: [{ name: 'nodemesh-cni', context: { cluster: 'local', user: 'nodemesh-cni' } }],
    'current-context': 'nodemesh-cni',
  };
  // JSON is YAML, and every kubeconfig reader takes it.
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Keeps the entry in the node's configuration; see the file header. */
export class ConflistKeeper {
  readonly #config: InstallConfig;
  readonly #entry: Record<string, unknown>;
  readonly #kubeconfig: () => Promise<string>;
  readonly #log: Logger;
  #waitingLogged = false;
  #installedIn: string | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(config: InstallConfig, entry: Record<string, unknown>, kubeconfig: () => Promise<string>, log: Logger) {
    this.#config = config;
    this.#entry = entry;
    this.#kubeconfig = kubeconfig;
    this.#log = log;
  }

  /** One pass (serialized with any pass still running); never throws, logs what failed. */
  sync(reason: string): Promise<void> {
    this.#running = this.#running.then(() => this.#sync(reason));
    return this.#running;
  }

  async #sync(reason: string): Promise<void> {
    try {
      const kubeconfigFile = path.join(this.#config.netDir, KUBECONFIG_NAME);
      const wanted = await this.#kubeconfig();
      const existing = await readFile(kubeconfigFile, 'utf8').catch(() => undefined);
      if (existing !== wanted) {
        await writeAtomic(kubeconfigFile, wanted, 0o600);
        this.#log.info({ file: kubeconfigFile }, 'plugin kubeconfig written');
      }
      const file = pickConfigFile(await readdir(this.#config.netDir), [KUBECONFIG_NAME]);
      if (file === undefined) {
        if (!this.#waitingLogged)
          this.#log.info({ dir: this.#config.netDir }, "waiting for the node's network configuration");
        this.#waitingLogged = true;
        return;
      }
      const text = await readFile(path.join(this.#config.netDir, file), 'utf8');
      const edited = addPlugin(file, text, this.#entry);
      if (!edited.changed) return;
      await writeAtomic(path.join(this.#config.netDir, edited.fileName), edited.text, 0o644);
      if (edited.fileName !== file) await rm(path.join(this.#config.netDir, file), { force: true });
      const again = this.#installedIn !== undefined;
      this.#installedIn = edited.fileName;
      this.#log.info(
        { file: edited.fileName, reason },
        again ? 're-added the plugin to the network configuration' : 'added the plugin to the network configuration',
      );
    } catch (err) {
      const level = err instanceof ConflistError ? 'error' : 'warn';
      this.#log[level]({ err, reason }, 'could not update the network configuration; will retry');
    }
  }

  /** Takes the entry out of the configuration and deletes the kubeconfig. */
  async uninstall(): Promise<void> {
    await this.#running;
    const names = await readdir(this.#config.netDir).catch(() => [] as string[]);
    for (const name of names) {
      if (name === KUBECONFIG_NAME || pickConfigFile([name]) === undefined) continue;
      const file = path.join(this.#config.netDir, name);
      try {
        const edited = removePlugin(name, await readFile(file, 'utf8'), PLUGIN_TYPE);
        if (edited.changed) {
          await writeAtomic(file, edited.text, 0o644);
          this.#log.info({ file: name }, 'removed the plugin from the network configuration');
        }
      } catch (err) {
        this.#log.warn({ err, file: name }, 'left a network configuration file as it is');
      }
    }
    await rm(path.join(this.#config.netDir, KUBECONFIG_NAME), { force: true });
  }
}

/**
 * Runs the keeper until `signal` aborts: a pass at start, on every change in the configuration
 * folder (debounced 100 ms), and every resync interval.
 */
export async function keepInstalled(keeper: ConflistKeeper, config: InstallConfig, signal: AbortSignal): Promise<void> {
  await keeper.sync('start');
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(config.netDir, () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => void keeper.sync('the configuration folder changed'), 100);
    });
  } catch {
    // A folder that cannot be watched is still resynced on the interval.
  }
  const interval = setInterval(() => void keeper.sync('periodic resync'), config.resyncIntervalMs);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(interval);
  clearTimeout(debounce);
  watcher?.close();
  await keeper.uninstall();
}

/** Writes `file` through a dot-named temporary file in the same folder and a rename. */
async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${pid}.tmp`);
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
