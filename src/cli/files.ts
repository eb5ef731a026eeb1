// Writing files from CLI verbs: atomically (temp file + rename, so a watcher never reads half a
// file), with a mode, and never over an existing file unless asked to.

import { randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors/index.ts';

export interface OutputFile {
  readonly path: string;
  readonly data: string;
  /** File mode, e.g. 0o600 for private keys (default 0o644). */
  readonly mode?: number;
}

/** Fails with UsageError naming every file that exists, unless `force`. */
export async function refuseOverwrite(command: string, files: readonly string[], force: boolean): Promise<void> {
  if (force) return;
  const existing: string[] = [];
  for (const file of files) {
    try {
      await access(file);
      existing.push(file);
    } catch {
      // absent: fine
    }
  }
  if (existing.length > 0) {
    throw new UsageError(`${command}: ${existing.join(', ')} already exist; pass --force to replace them`);
  }
}

/** Writes each file atomically, in order, creating folders as needed. */
export async function writeFilesAtomic(files: readonly OutputFile[]): Promise<void> {
  for (const file of files) {
    await mkdir(path.dirname(file.path), { recursive: true });
    const tmp = `${file.path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, file.data, { mode: file.mode ?? 0o644 });
      await rename(tmp, file.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
