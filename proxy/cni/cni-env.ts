// What the container runtime tells a CNI plugin in its environment (CNI 1.0 "Parameters"):
// CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH.
//
// Contract: `parseCniEnv` returns the parameters or throws a CniError (code 4) naming the missing
// or malformed variable and what each command needs.

import type { EnvSource } from '../../src/config/index.ts';
import { CNI_ERROR, CniError } from './cni-errors.ts';

export const CNI_COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'GC', 'STATUS'] as const;
export type CniCommand = (typeof CNI_COMMANDS)[number];

export interface CniEnv {
  readonly command: CniCommand;
  readonly containerId: string | undefined;
  /** Path of the container's network namespace, e.g. /var/run/netns/cni-…; may be absent on DEL. */
  readonly netns: string | undefined;
  readonly ifname: string | undefined;
  /** CNI_ARGS as key/value pairs (K8S_POD_NAMESPACE, K8S_POD_NAME, …). */
  readonly args: Readonly<Record<string, string>>;
}

const NEEDS: Readonly<Record<CniCommand, readonly string[]>> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  VERSION: [],
  GC: [],
  STATUS: [],
};

export function parseCniEnv(env: EnvSource): CniEnv {
  const command = env['CNI_COMMAND'];
  if (command === undefined || command === '') {
    throw new CniError(
      CNI_ERROR.invalidEnvironment,
      `CNI_COMMAND is not set; allowed: ${CNI_COMMANDS.join(', ')}`,
      'nodemesh cni is a CNI plugin run by the container runtime; to install it on a node run `nodemesh cni install`',
    );
  }
  if (!(CNI_COMMANDS as readonly string[]).includes(command)) {
    throw new CniError(
      CNI_ERROR.invalidEnvironment,
      `CNI_COMMAND ${JSON.stringify(command)} is not supported; allowed: ${CNI_COMMANDS.join(', ')}`,
    );
  }
  const cmd = command as CniCommand;
  const missing = NEEDS[cmd].filter((name) => (env[name] ?? '') === '');
  if (missing.length > 0) {
    throw new CniError(CNI_ERROR.invalidEnvironment, `${cmd} needs ${missing.join(', ')}, which are not set`);
  }
  const netns = nonEmpty(env['CNI_NETNS']);
  if (netns !== undefined && !netns.startsWith('/')) {
    throw new CniError(CNI_ERROR.invalidEnvironment, `CNI_NETNS ${JSON.stringify(netns)} is not an absolute path`);
  }
  return {
    command: cmd,
    containerId: nonEmpty(env['CNI_CONTAINERID']),
    netns,
    ifname: nonEmpty(env['CNI_IFNAME']),
    args: parseCniArgs(env['CNI_ARGS'] ?? ''),
  };
}

/** `K=V;K=V` pairs; a pair without `=` is a CniError (code 4). */
export function parseCniArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(';').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new CniError(CNI_ERROR.invalidEnvironment, `CNI_ARGS has ${JSON.stringify(pair)}, which is not KEY=VALUE`);
    }
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
