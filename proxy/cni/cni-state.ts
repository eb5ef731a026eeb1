// What ADD wrote, remembered on the node so that DEL and CHECK act only on rules this plugin
// added: one JSON file per container, `<state_dir>/<container id>.json`, holding the network
// namespace and the proxy-init flags the rules were built from.
//
// Contract: `writeRecord` replaces atomically (write then rename); `readRecord` returns undefined
// when there is none (the plugin did not set up that container) and throws a CniError (5) for an
// unreadable or corrupt file; `removeRecord` ignores a missing file.

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProxyInitFlags } from '../init/index.ts';
import { CNI_ERROR, CniError } from './cni-errors.ts';
import { pid } from 'node:process';

export interface InterceptionRecord {
  readonly containerId: string;
  readonly netns: string;
  /** `namespace/name` of the pod. */
  readonly pod: string;
  readonly flags: ProxyInitFlags;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,253}$/;

function fileOf(stateDir: string, containerId: string): string {
  if (!SAFE_ID.test(containerId)) {
    throw new CniError(
      CNI_ERROR.invalidEnvironment,
      `CNI_CONTAINERID ${JSON.stringify(containerId)} is not a container id; allowed: letters, digits, _ . -`,
    );
  }
  return path.join(stateDir, `${containerId}.json`);
}

export async function writeRecord(stateDir: string, record: InterceptionRecord): Promise<void> {
  const file = fileOf(stateDir, record.containerId);
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    await rename(tmp, file);
  } catch (err) {
    throw new CniError(CNI_ERROR.io, `cannot write ${file}: ${(err as Error).message}`, '', { cause: err });
  }
}

export async function readRecord(stateDir: string, containerId: string): Promise<InterceptionRecord | undefined> {
  const file = fileOf(stateDir, containerId);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CniError(CNI_ERROR.io, `cannot read ${file}: ${(err as Error).message}`, '', { cause: err });
  }
  try {
    const raw = JSON.parse(text) as Partial<InterceptionRecord>;
    if (typeof raw.netns !== 'string' || typeof raw.flags !== 'object' || raw.flags === null)
      throw new Error('fields missing');
    return { containerId, netns: raw.netns, pod: String(raw.pod ?? ''), flags: raw.flags };
  } catch (err) {
    throw new CniError(CNI_ERROR.io, `${file} is corrupt: ${(err as Error).message}`, '', { cause: err });
  }
}

export async function removeRecord(stateDir: string, containerId: string): Promise<void> {
  await rm(fileOf(stateDir, containerId), { force: true });
}
