// The local mesh's state folder lock: one `nodemesh demo` per state folder.
//
// Contract: acquireStateLock creates `<dir>/demo.pid` exclusively. If the file exists and names a
// live process, it fails with DemoAlreadyRunningError (so a second `npm start` says so instead of
// failing on a busy port); a stale file from a dead process is replaced. release() removes the file
// only if it is still ours.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../../errors/index.ts';

export class DemoAlreadyRunningError extends MeshError {
  readonly pid: number;
  constructor(pid: number, dir: string) {
    super(
      'MESH_ERR_DEMO_RUNNING',
      `a local mesh is already running (pid ${pid}) with state in ${dir}; stop it with Ctrl-C in its terminal or 'kill ${pid}', or pass --state-dir to run another one`,
      { fields: { pid, dir } },
    );
    this.pid = pid;
  }
}

export interface StateLock {
  readonly file: string;
  release(): Promise<void>;
}

export async function acquireStateLock(dir: string, pid = process.pid): Promise<StateLock> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'demo.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${pid}\n`, { flag: 'wx' });
      return {
        file,
        release: async () => {
          const owner = await readPid(file);
          if (owner === pid) await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await readPid(file);
      if (owner !== undefined && owner !== pid && isAlive(owner)) throw new DemoAlreadyRunningError(owner, dir);
      await rm(file, { force: true });
    }
  }
  throw new DemoAlreadyRunningError((await readPid(file)) ?? 0, dir);
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
