// Bundles the sidecar into one ES module for the image (ADR 0019): the compiled proxy/main.js and
// everything it imports (our ~190 modules, pino, the protobuf runtime) become one file that
// replaces proxy/main.js in the compiled tree, so `nodemesh proxy` (bin/nodemesh.js imports
// ../proxy/main.js on demand) loads one module instead of ~300. Measured: an idle proxy maps
// ~10 MB less RSS (77 → 68 MB), most of it the per-module cost of Node's ESM loader.
//
//   node scripts/bundle-proxy.ts [DIST]    DIST/proxy/main.js (default dist/) is bundled in place
//
// Contract: bundleProxy({ entry, outFile }) writes one file with no code splitting. Node's
// built-ins and koffi (a native addon, required at first use) stay external and are resolved at
// run time from the file's location, like the unbundled code's imports. The entry may be the
// compiled .js (the image) or the .ts source (tests); only the bundle's own imports are inlined,
// so other commands of the compiled tree keep their own modules.

import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { rolldown } from 'rolldown';

/** Imports left to Node at run time: its built-ins, and koffi's native addon. */
const EXTERNAL: readonly (string | RegExp)[] = [/^node:/, 'koffi'];

export interface BundleOptions {
  /** The proxy's entry module (`dist/proxy/main.js`, or `proxy/main.ts`). */
  readonly entry: string;
  /** The file to write; may be the entry itself (written aside, then renamed over it). */
  readonly outFile: string;
}

/** Bundles `entry` into `outFile`; returns the bundle's size in bytes. */
export async function bundleProxy(o: BundleOptions): Promise<number> {
  const aside = `${o.outFile}.bundling`;
  const bundle = await rolldown({
    input: path.resolve(o.entry),
    platform: 'node',
    external: [...EXTERNAL],
    logLevel: 'warn',
  });
  try {
    const { output } = await bundle.write({ file: aside, format: 'esm', codeSplitting: false });
    const chunk = output.find((o) => o.type === 'chunk');
    if (output.length !== 1 || chunk === undefined) {
      throw new Error(`bundling ${o.entry} gave ${output.length} outputs; expected one chunk`);
    }
    await rename(aside, o.outFile);
    return Buffer.byteLength(chunk.code);
  } catch (err) {
    await rm(aside, { force: true });
    throw err;
  } finally {
    await bundle.close();
  }
}

if (import.meta.main) {
  const dist = path.resolve(process.argv[2] ?? 'dist');
  const main = path.join(dist, 'proxy', 'main.js');
  try {
    const bytes = await bundleProxy({ entry: main, outFile: main });
    process.stdout.write(
      `bundle-proxy: ${path.relative(process.cwd(), main)} bundled (${Math.round(bytes / 1024)} KiB)\n`,
    );
  } catch (err) {
    process.stderr.write(
      `bundle-proxy: bundling ${main} failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 1;
  }
}
