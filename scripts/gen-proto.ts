// Regenerates the TypeScript protobuf code in src/api/gen from src/api/proto, or checks that the
// committed code is fresh.
//
//   node scripts/gen-proto.ts           lint the .proto files, then regenerate src/api/gen
//   node scripts/gen-proto.ts --check   regenerate into a temporary directory and compare;
//                                       exit 1 naming every differing file when stale
//
// buf runs ts-proto as a local plugin (buf.gen.yaml); nothing touches the network. The buf binary
// comes from the optional package @bufbuild/buf-linux-x64, so this works on linux-x64 only; elsewhere
// the script exits 2 and the freshness test skips. Generation never leaves src/api/gen half written:
// it generates into a temporary directory first and swaps the result in only on success.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The repository root (this file lives in `<root>/scripts`). */
export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** The buf binary shipped by the optional npm package; absent on platforms other than linux-x64. */
export const BUF_BINARY = join(REPO_ROOT, 'node_modules', '@bufbuild', 'buf-linux-x64', 'bin', 'buf');

/** Where the generated code lives, relative to the repository root (also `out` in buf.gen.yaml). */
export const GENERATED_DIR = join('src', 'api', 'gen');

/** How one file of the fresh output differs from the committed tree. */
export interface FileDifference {
  /** Path relative to the repository root, with `/` separators. */
  readonly path: string;
  /** missing: generated but not committed; unexpected: committed but no longer generated. */
  readonly change: 'changed' | 'missing' | 'unexpected';
}

export type FreshnessResult =
  | { readonly kind: 'fresh'; readonly files: number }
  | { readonly kind: 'stale'; readonly differences: readonly FileDifference[] };

/** True when the buf binary is installed (linux-x64 only). */
export function bufAvailable(): boolean {
  return existsSync(BUF_BINARY);
}

/** Lints the .proto files with the rules in buf.yaml; throws with buf's report on failure. */
export async function lintProtos(): Promise<void> {
  await runBuf(['lint']);
}

/** Regenerates `src/api/gen`, replacing whatever was there (stale files included). */
export async function generate(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'nodemesh-gen-'));
  try {
    await runBuf(['generate', '--output', scratch]);
    const target = join(REPO_ROOT, GENERATED_DIR);
    await rm(target, { recursive: true, force: true });
    await cp(join(scratch, GENERATED_DIR), target, { recursive: true });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Generates into a temporary directory and compares the result with the committed `src/api/gen`. */
export async function checkGenerated(): Promise<FreshnessResult> {
  const scratch = await mkdtemp(join(tmpdir(), 'nodemesh-gen-check-'));
  try {
    await runBuf(['lint']);
    await runBuf(['generate', '--output', scratch]);
    return await compareTrees(join(scratch, GENERATED_DIR), join(REPO_ROOT, GENERATED_DIR));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Compares two directory trees file by file, byte for byte. */
export async function compareTrees(freshDir: string, committedDir: string): Promise<FreshnessResult> {
  const fresh = await listFiles(freshDir);
  const committed = new Set(await listFiles(committedDir));
  const differences: FileDifference[] = [];
  for (const file of fresh) {
    const shown = toRepoPath(join(GENERATED_DIR, file));
    if (!committed.has(file)) {
      differences.push({ path: shown, change: 'missing' });
      continue;
    }
    committed.delete(file);
    const [a, b] = await Promise.all([readFile(join(freshDir, file)), readFile(join(committedDir, file))]);
    if (!a.equals(b)) differences.push({ path: shown, change: 'changed' });
  }
  for (const file of committed) {
    differences.push({ path: toRepoPath(join(GENERATED_DIR, file)), change: 'unexpected' });
  }
  if (differences.length === 0) return { kind: 'fresh', files: fresh.length };
  differences.sort((x, y) => x.path.localeCompare(y.path));
  return { kind: 'stale', differences };
}

/** Every file under `dir`, relative to it, sorted; an absent directory has none. */
async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

function toRepoPath(path: string): string {
  return path.split(sep).join('/');
}

/** Runs buf from the repository root so buf.yaml, buf.gen.yaml and the plugin path resolve. */
async function runBuf(args: readonly string[]): Promise<void> {
  if (!bufAvailable()) {
    throw new Error(`buf is not installed at ${BUF_BINARY} (it ships for linux-x64 only)`);
  }
  // The ts-proto plugin starts with `#!/usr/bin/env node`: put this Node first on PATH so the plugin
  // runs on the same Node 24 as this script, not whatever `node` the shell would find.
  const path = [dirname(process.execPath), process.env['PATH'] ?? ''].join(delimiter);
  try {
    await execFileAsync(BUF_BINARY, [...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: path },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    const detail = typeof stderr === 'string' && stderr.trim() !== '' ? `:\n${stderr.trim()}` : '';
    throw new Error(`buf ${args.join(' ')} failed${detail}`, { cause: err });
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`gen-proto: unknown argument ${unknown.join(' ')}; usage: gen-proto.ts [--check]\n`);
    return 2;
  }
  if (!bufAvailable()) {
    process.stderr.write(`gen-proto: buf is not installed at ${BUF_BINARY} (it ships for linux-x64 only)\n`);
    return 2;
  }
  if (argv.includes('--check')) {
    const result = await checkGenerated();
    if (result.kind === 'fresh') {
      process.stdout.write(`gen-proto: ${GENERATED_DIR} is fresh (${result.files} files)\n`);
      return 0;
    }
    process.stderr.write(`gen-proto: ${GENERATED_DIR} is stale; run \`npm run gen\` and commit the result\n`);
    for (const { path, change } of result.differences) process.stderr.write(`  ${change}: ${path}\n`);
    return 1;
  }
  await lintProtos();
  await generate();
  process.stdout.write(`gen-proto: regenerated ${GENERATED_DIR}\n`);
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`gen-proto: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
