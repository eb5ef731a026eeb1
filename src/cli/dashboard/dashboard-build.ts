// Making sure the dashboard's page is built: dashboard/dist must exist and be newer than the
// sources (dashboard/src, index.html, vite.config.ts), otherwise it is built with Vite's JS API.
//
// Contract: ensureDashboardBuilt resolves to the dist folder. It builds only when needed and says
// so in the log. Without Vite (a production install without devDependencies) a stale dist is served
// with a warning; a missing one is a DashboardBuildError saying how to get one.

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../log/index.ts';

/** The front end's folder in this checkout (dashboard/). */
export const DASHBOARD_ROOT = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

export class DashboardBuildError extends Error {
  override readonly name = 'DashboardBuildError';
}

/** The newest modification time (ms) of `target` and, for a folder, everything below it; 0 if absent. */
async function newestMtime(target: string): Promise<number> {
  let info;
  try {
    info = await stat(target);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(target)) newest = Math.max(newest, await newestMtime(path.join(target, entry)));
  return newest;
}

/** Why the page must be built, or undefined when dist is up to date. */
export async function buildReason(root: string): Promise<string | undefined> {
  const built = await newestMtime(path.join(root, 'dist', 'index.html'));
  if (built === 0) return 'dashboard/dist is missing';
  const sources = Math.max(
    ...(await Promise.all(['src', 'index.html', 'vite.config.ts'].map((f) => newestMtime(path.join(root, f))))),
  );
  return sources > built ? 'dashboard/dist is older than dashboard/src' : undefined;
}

interface ViteApi {
  build(config: { root: string; configFile: string; logLevel: string }): Promise<unknown>;
}

export async function ensureDashboardBuilt(log: Logger, root = DASHBOARD_ROOT): Promise<string> {
  const dist = path.join(root, 'dist');
  const reason = await buildReason(root);
  if (reason === undefined) return dist;
  let vite: ViteApi;
  try {
    vite = (await import('vite')) as ViteApi;
  } catch (err) {
    if (reason === 'dashboard/dist is missing') {
      throw new DashboardBuildError(
        `the dashboard page is not built (no ${dist}) and Vite is not installed to build it; run npm install (with dev dependencies) then npm run build:dashboard`,
        { cause: err },
      );
    }
    log.warn({ reason, dist }, 'Vite is not installed: serving the dashboard page as last built');
    return dist;
  }
  log.info({ reason, root }, 'building the dashboard page with Vite');
  const started = performance.now();
  await vite.build({ root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
  log.info({ dist, ms: Math.round(performance.now() - started) }, 'dashboard page built');
  return dist;
}
