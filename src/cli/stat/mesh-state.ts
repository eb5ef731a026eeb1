// Reading the local mesh's state.json (written by `nodemesh demo`) and GETting components' admin
// endpoints, for the commands that look at a running mesh (`stat`, `check`).
//
// Contract: readMeshState throws MeshStateError with a message meant for people when the mesh is
// not running or the file is not what `demo` writes. adminGet never throws for an HTTP status; it
// rejects only when nothing answered (refused, timed out, aborted).

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

export interface MeshComponent {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
  readonly addresses: Readonly<Record<string, string>>;
}

export interface MeshState {
  readonly stateDir: string;
  readonly components: readonly MeshComponent[];
}

export class MeshStateError extends Error {
  override readonly name = 'MeshStateError';
}

export const DEFAULT_STATE_DIR = '.nodemesh';
export const PROXY_SUFFIX = '-proxy';

/** Reads `<dir>/state.json`, `dir` (default .nodemesh) taken relative to `cwd`. */
export async function readMeshState(cwd: string, dir = DEFAULT_STATE_DIR): Promise<MeshState> {
  const stateDir = path.resolve(cwd, dir);
  const file = path.join(stateDir, 'state.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MeshStateError(
        `no local mesh is running (no ${path.join(dir, 'state.json')}); start one with npm start`,
        { cause: err },
      );
    }
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MeshStateError(`${file} is not JSON; is it from nodemesh demo?`, { cause: err });
  }
  const components = (raw as { components?: unknown } | null)?.components;
  if (!Array.isArray(components)) throw new MeshStateError(`${file} has no components list`);
  return {
    stateDir,
    components: components.filter(isComponent).map((c) => ({
      name: c.name,
      pid: typeof c.pid === 'number' ? c.pid : 0,
      log: typeof c.log === 'string' ? c.log : '',
      addresses: Object.fromEntries(
        Object.entries(c.addresses ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ),
    })),
  };
}

function isComponent(
  c: unknown,
): c is { name: string; pid?: unknown; log?: unknown; addresses?: Record<string, unknown> } {
  if (typeof c !== 'object' || c === null) return false;
  const { name, addresses } = c as { name?: unknown; addresses?: unknown };
  return typeof name === 'string' && (addresses === undefined || (typeof addresses === 'object' && addresses !== null));
}

/** True for the sidecar proxies (`<pod>-proxy`). */
export function isProxy(c: MeshComponent): boolean {
  return c.name.endsWith(PROXY_SUFFIX) && c.addresses.admin !== undefined;
}

/** The workload a proxy serves: its name without `-proxy`. */
export function workloadOf(c: MeshComponent): string {
  return c.name.endsWith(PROXY_SUFFIX) ? c.name.slice(0, -PROXY_SUFFIX.length) : c.name;
}

export interface AdminResponse {
  readonly status: number;
  readonly body: string;
}

/** GET `base` + `route` (base like `http://10.0.0.1:4191`), with a fresh connection. */
export function adminGet(base: string, route: string, timeoutMs: number, signal: AbortSignal): Promise<AdminResponse> {
  const url = new URL(route, base.endsWith('/') ? base : `${base}/`);
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { agent: false, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/** A short reason for a failed request: the error code (ECONNREFUSED) or message. */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'timed out';
    const code = (err as NodeJS.ErrnoException).code;
    return code ?? err.message;
  }
  return String(err);
}
