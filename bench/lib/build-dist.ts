// The compiled nodemesh, as the image runs it (ARCHITECTURE.md §1: JavaScript from `tsc -p
// tsconfig.build.json`, never the .ts sources, with the sidecar bundled by scripts/bundle-proxy.ts,
// ADR 0019): built from the checkout holding a given entry
// point into its bench/results/tmp/ (ignored by git), where Node still finds the checkout's
// node_modules and package.json. Returns the built entry point.

import { execFile } from 'node:child_process';
import { access, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export async function buildDist(sourceBin: string): Promise<string> {
  const root = path.resolve(path.dirname(sourceBin), '..');
  const outDir = path.join(root, 'bench', 'results', 'tmp', 'dist');
  await rm(outDir, { recursive: true, force: true });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await promisify(execFile)(
      process.execPath,
      [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir],
      {
        cwd: root,
        timeout: 300_000,
      },
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `building ${root} failed (tsc -p tsconfig.build.json):\n${e.stdout ?? ''}${e.stderr ?? e.message}`,
      {
        cause: err,
      },
    );
  }
  // The image bundles the sidecar (ADR 0019); a checkout from before that has no bundle script
  // and is measured as its own image ran it.
  const bundleScript = path.join(root, 'scripts', 'bundle-proxy.ts');
  if (await exists(bundleScript)) {
    try {
      await promisify(execFile)(process.execPath, [bundleScript, outDir], { cwd: root, timeout: 300_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`bundling the proxy of ${root} failed:\n${e.stderr ?? e.message}`, { cause: err });
    }
  }
  const bin = path.join(outDir, 'bin', 'nodemesh.js');
  await access(bin);
  return bin;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
