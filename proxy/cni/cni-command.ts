// `nodemesh cni` (the CNI plugin, run by the container runtime through the launcher the installer
// writes) and `nodemesh cni install` (the DaemonSet's container).

import type { Readable } from 'node:stream';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../../src/cli/command.ts';
import { ConfigError } from '../../src/errors/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { spawnExec, whichInPath } from '../init/index.ts';
import { runCniPlugin } from './cni-plugin.ts';
import {
  ConflistKeeper,
  InstallError,
  installPlugin,
  keepInstalled,
  kubeconfigText,
  readPluginEntry,
} from './cni-install.ts';
import { parseInstallConfig } from './install-config.ts';
import { Buffer } from 'node:buffer';

const MAX_STDIN_BYTES = 1 << 20;

/** The plugin: network configuration on stdin, parameters in CNI_* variables. */
export async function runCni(ctx: CommandContext, stdin: Readable): Promise<number> {
  const text = await readAll(stdin);
  return runCniPlugin(
    { env: ctx.env, stdin: text, stdout: ctx.stdout, stderr: ctx.stderr },
    {
      getPod: async (kubeconfig, namespace, name) =>
        (await import('../../src/k8s/pod-read.ts')).readPod(kubeconfig, namespace, name),
      exec: spawnExec,
      // The runtime's PATH may be minimal; the usual places of iptables and nsenter are searched too.
      which: whichInPath([ctx.env['PATH'], '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean).join(':')),
    },
  );
}

export async function runCniInstall(ctx: CommandContext): Promise<number> {
  try {
    const config = parseInstallConfig(ctx.env);
    const log = createLogger({ config: config.log, name: 'cni-install' });
    const entry = await readPluginEntry(config);
    await installPlugin(config, ctx.self, log);
    const keeper = new ConflistKeeper(config, entry, () => kubeconfigText(config, ctx.env), log);
    await keepInstalled(keeper, config, ctx.signal);
    log.info('stopped; the plugin entry and its kubeconfig are removed');
    return EXIT_OK;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof InstallError) {
      ctx.stderr.write(`error: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    throw err;
  }
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_STDIN_BYTES) break; // the parser then reports the truncated JSON
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
