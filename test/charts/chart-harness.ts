// Shared by the chart tests: builds the Go chart renderer (scripts/helm-render) once per source
// hash into os.tmpdir(), renders charts with it, masks generated key material for golden files,
// and validates rendered objects against the Kubernetes schemas of kubernetes-models, plus a
// strict unknown-field check derived from that package's type declarations.
//
// No helm binary exists here (ADR 0011): the renderer is our own Go program using Debian's Go
// toolchain and library sources (GOPATH mode, offline). When go or those sources are missing the
// tests skip, unless running as root: CI runs as root and installs them (.ci/run), so there the
// tests must run.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { createTestCa } from '../../src/testing/index.ts';

const execFileAsync = promisify(execFile);

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CHARTS = path.join(REPO, 'charts');
export const GOLDEN_DIR = path.join(REPO, 'test/fixtures/charts');
export const UPDATE_GOLDEN = process.env.NODEMESH_UPDATE_GOLDEN === '1';

const RENDERER_SRC = path.join(REPO, 'scripts/helm-render');
const GOPATH_SYSTEM = '/usr/share/gocode';
/** Debian library sources the renderer imports, and the package that installs each. */
export const GO_LIBRARIES: readonly (readonly [string, string])[] = [
  ['github.com/Masterminds/sprig', 'golang-github-masterminds-sprig-dev'],
  ['sigs.k8s.io/yaml', 'golang-k8s-sigs-yaml-dev'],
  ['github.com/xeipuuv/gojsonschema', 'golang-github-xeipuuv-gojsonschema-dev'],
];

export type RendererBuild = { readonly bin: string } | { readonly skip: string };

async function goVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('go', ['version'], { env: goEnv(os.tmpdir()) });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

function goEnv(gopath: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    GO111MODULE: 'off',
    GOPATH: `${GOPATH_SYSTEM}:${gopath}`,
    GOCACHE: path.join(os.tmpdir(), 'nodemesh-helm-render-gocache'),
    GOFLAGS: '',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  };
}

let building: Promise<RendererBuild> | undefined;

/**
 * The renderer binary, built once per source hash (cached in os.tmpdir()), or why the tests skip.
 * Throws when the toolchain is missing while running as root (CI installs it, so that is a bug).
 */
export function buildRenderer(): Promise<RendererBuild> {
  building ??= build();
  return building;
}

async function build(): Promise<RendererBuild> {
  const version = await goVersion();
  const missingLibs = GO_LIBRARIES.filter(([p]) => !existsSync(path.join(GOPATH_SYSTEM, 'src', p)));
  if (version === undefined || missingLibs.length > 0) {
    const packages = [...(version === undefined ? ['golang-go'] : []), ...missingLibs.map(([, pkg]) => pkg)];
    const why = `the Go toolchain for the chart renderer is not installed (apt-get install ${packages.join(' ')}; .ci/run does it)`;
    if (process.getuid?.() === 0) throw new Error(`${why}: running as root (CI), so the chart tests must run`);
    return { skip: `${why}; not root, so the chart tests are skipped` };
  }
  const source = await readFile(path.join(RENDERER_SRC, 'main.go'));
  const hash = createHash('sha256').update(version).update(source).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `nodemesh-helm-render-${hash}`);
  const bin = path.join(dir, 'helm-render');
  if (existsSync(bin)) return { bin };
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), 'nodemesh-helm-render-build-'));
  try {
    const out = path.join(work, 'helm-render');
    await execFileAsync('go', ['build', '-o', out, '.'], { cwd: RENDERER_SRC, env: goEnv(work) });
    await rename(out, bin);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { bin };
}

export interface RenderOptions {
  readonly namespace?: string;
  readonly name?: string;
  readonly valuesFiles?: readonly string[];
  /** key → file path (`--set-file`). */
  readonly setFiles?: Readonly<Record<string, string>>;
  /** key → value (`--set`). */
  readonly set?: Readonly<Record<string, string>>;
  readonly notes?: boolean;
}

export interface RenderResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Renders `chart` (a folder of charts/, or an absolute path) with the renderer at `bin`. */
export async function render(bin: string, chart: string, opts: RenderOptions = {}): Promise<RenderResult> {
  const args = ['--name', opts.name ?? 'nodemesh', '--namespace', opts.namespace ?? 'nodemesh'];
  for (const f of opts.valuesFiles ?? []) args.push('-f', f);
  for (const [k, v] of Object.entries(opts.set ?? {})) args.push('--set', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.setFiles ?? {})) args.push('--set-file', `${k}=${v}`);
  if (opts.notes === true) args.push('--notes');
  args.push(path.isAbsolute(chart) ? chart : path.join(CHARTS, chart));
  try {
    const { stdout, stderr } = await execFileAsync(bin, args, { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Renders and fails with the renderer's stderr when it fails. */
export async function renderOk(bin: string, chart: string, opts: RenderOptions = {}): Promise<string> {
  const r = await render(bin, chart, opts);
  if (r.code !== 0) throw new Error(`rendering ${chart} failed (exit ${r.code}):\n${r.stderr}`);
  return r.stdout;
}

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

/** The objects of a rendered stream, in order. */
export function parseObjects(stream: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(stream)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    out.push(value as K8sObject);
  }
  return out;
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in the render`);
  return found;
}

// ---- certificates for the control plane ------------------------------------------------------

export interface TestCerts {
  readonly dir: string;
  readonly anchorsFile: string;
  readonly issuerCrtFile: string;
  readonly issuerKeyFile: string;
  readonly anchorsPem: string;
}

/** A fresh trust anchor and issuer (src/testing test-ca) written to a temporary folder. */
export async function writeTestCerts(): Promise<TestCerts> {
  const ca = await createTestCa();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nodemesh-chart-certs-'));
  const anchorsFile = path.join(dir, 'ca-bundle.crt');
  const issuerCrtFile = path.join(dir, 'issuer.crt');
  const issuerKeyFile = path.join(dir, 'issuer.key');
  await writeFile(anchorsFile, ca.anchor.certificatePem);
  await writeFile(issuerCrtFile, ca.issuer.certificatePem);
  await writeFile(issuerKeyFile, ca.issuer.privateKeyPem, { mode: 0o600 });
  return { dir, anchorsFile, issuerCrtFile, issuerKeyFile, anchorsPem: ca.anchor.certificatePem };
}

export function certSetFiles(certs: TestCerts): Record<string, string> {
  return {
    identityTrustAnchorsPEM: certs.anchorsFile,
    'identity.issuer.tls.crtPEM': certs.issuerCrtFile,
    'identity.issuer.tls.keyPEM': certs.issuerKeyFile,
  };
}

// ---- golden files -----------------------------------------------------------------------------

/**
 * Replaces what differs on every render: PEM bodies (test certificates are generated per run and
 * no key is ever committed), base64 key material (Secret data, caBundle) and digests of the trust
 * anchors. Everything else is compared byte for byte.
 */
export function maskGenerated(stream: string): string {
  return (
    stream
      .replace(/-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g, '-----BEGIN $1-----<masked>-----END $1-----')
      .replace(/^(\s*(?:caBundle|tls\.crt|tls\.key|ca\.crt):\s*)[A-Za-z0-9+/=]{40,}$/gm, '$1<masked:base64>')
      .replace(/(nodemesh\.io\/trust-root-sha256:\s*)[0-9a-f]{64}/g, '$1<masked:sha256>')
      // The injector's config checksum covers the generated trust anchors.
      .replace(/(checksum\/config:\s*)[0-9a-f]{64}/g, '$1<masked:sha256>')
  );
}

/** Compares `actual` with the golden file, or rewrites it with NODEMESH_UPDATE_GOLDEN=1. */
export async function checkGolden(name: string, actual: string): Promise<void> {
  const file = path.join(GOLDEN_DIR, name);
  if (UPDATE_GOLDEN) {
    await mkdir(GOLDEN_DIR, { recursive: true });
    await writeFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await readFile(file, 'utf8');
  } catch {
    throw new Error(`golden file ${file} is missing: run with NODEMESH_UPDATE_GOLDEN=1 to create it`);
  }
  if (expected !== actual) {
    const a = actual.split('\n');
    const e = expected.split('\n');
    let line = 0;
    while (line < a.length && a[line] === e[line]) line++;
    throw new Error(
      `${file} differs from the render at line ${line + 1}:\n  golden:   ${JSON.stringify(e[line])}\n  rendered: ${JSON.stringify(a[line])}\n` +
        'If the change is intended, rewrite the golden files with NODEMESH_UPDATE_GOLDEN=1.',
    );
  }
}
