// Reading and editing a Service's traffic split (ServiceProfile `spec.dstOverrides`) in a folder of
// YAML files, as the local mesh's destination service reads them.
//
// Contract: findSplit() reports the profile named `<svc>.<ns>.svc.<domain>` and the file holding it,
// or none; a folder with two such profiles is an error naming both files. setSplit() returns the new
// text of the file to write: the profile's document edited in place (other documents, keys and
// comments kept), or a new file holding just the profile. Weights are validated as the destination
// service validates them, so a split written here is never refused there.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments, stringify, type Document } from 'yaml';
import { UsageError } from '../../errors/index.ts';
import { parseWeight } from '../../profiles/index.ts';

export interface SplitBackend {
  readonly authority: string;
  readonly weight: string;
}

export interface FoundSplit {
  readonly profileName: string;
  /** The file holding the profile, or undefined when there is none. */
  readonly file: string | undefined;
  readonly backends: readonly SplitBackend[];
  /** How many routes the profile has. */
  readonly routes: number;
}

export function profileName(service: string, namespace: string, clusterDomain = 'cluster.local'): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}

/** Parses `--set`: `a=90,b=10` (names in `namespace` or full authorities), or `none`. */
export function parseSplitSpec(spec: string, namespace: string, clusterDomain = 'cluster.local'): SplitBackend[] {
  if (spec.trim() === 'none') return [];
  const out: SplitBackend[] = [];
  for (const part of spec.split(',')) {
    const [name, weight, extra] = part.split('=').map((s) => s.trim());
    if (name === undefined || name === '' || weight === undefined || extra !== undefined) {
      throw new UsageError(`split: --set ${JSON.stringify(part)} is not BACKEND=WEIGHT; e.g. web-canary=10`);
    }
    const w = parseWeight(weight);
    if (!w.ok) throw new UsageError(`split: the weight of ${name} ${JSON.stringify(weight)} ${w.reason}`);
    const authority = name.includes('.') ? name : `${name}.${namespace}.svc.${clusterDomain}`;
    out.push({ authority, weight });
  }
  const zero = (weight: string): boolean => {
    const w = parseWeight(weight);
    return w.ok && w.decimillis === 0;
  };
  if (out.length > 0 && out.every((b) => zero(b.weight))) {
    throw new UsageError('split: every weight is 0; give at least one backend a weight, or use --set none');
  }
  return out;
}

interface Located {
  readonly file: string;
  readonly source: string;
  readonly docs: Document.Parsed[];
  readonly index: number;
}

export async function locateProfile(folder: string, name: string): Promise<Located | undefined> {
  const entries = (await readdir(folder)).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.')).sort();
  const found: Located[] = [];
  for (const entry of entries) {
    const file = path.join(folder, entry);
    const source = await readFile(file, 'utf8');
    const docs = parseAllDocuments(source);
    if (!Array.isArray(docs)) continue;
    docs.forEach((doc, index) => {
      const obj: unknown = doc.toJS();
      if (isProfileNamed(obj, name)) found.push({ file, source, docs, index });
    });
  }
  if (found.length > 1) {
    throw new UsageError(
      `split: ${name} has ${found.length} ServiceProfiles (${found.map((f) => path.basename(f.file)).join(', ')}); keep one`,
    );
  }
  return found[0];
}

export async function findSplit(folder: string, name: string): Promise<FoundSplit> {
  const located = await locateProfile(folder, name);
  if (located === undefined) return { profileName: name, file: undefined, backends: [], routes: 0 };
  const spec = (located.docs[located.index]?.toJS() as { spec?: { dstOverrides?: unknown; routes?: unknown } }).spec;
  return {
    profileName: name,
    file: located.file,
    backends: splitBackends(spec?.dstOverrides),
    routes: Array.isArray(spec?.routes) ? spec.routes.length : 0,
  };
}

/** The `{authority, weight}` entries of a profile's dstOverrides (anything else skipped). */
export function splitBackends(dstOverrides: unknown): SplitBackend[] {
  const raw = Array.isArray(dstOverrides) ? (dstOverrides as unknown[]) : [];
  return raw.flatMap((d) => {
    const o = d as { authority?: unknown; weight?: unknown };
    const weight = typeof o.weight === 'string' || typeof o.weight === 'number' ? String(o.weight) : '';
    return typeof o.authority === 'string' ? [{ authority: o.authority, weight }] : [];
  });
}

/** dstOverrides as written back: plain numbers as numbers, quantities with a suffix as strings. */
export function dstOverridesValue(backends: readonly SplitBackend[]): { authority: string; weight: number | string }[] {
  return backends.map((b) => ({
    authority: b.authority,
    weight: /^\d+$/.test(b.weight) ? Number(b.weight) : b.weight,
  }));
}

/** The file to write and its new text. */
export async function setSplit(
  folder: string,
  name: string,
  namespace: string,
  backends: readonly SplitBackend[],
): Promise<{ file: string; text: string }> {
  const located = await locateProfile(folder, name);
  const value = dstOverridesValue(backends);
  if (located === undefined) {
    const profile = {
      apiVersion: 'nodemesh.io/v1alpha2',
      kind: 'ServiceProfile',
      metadata: { name, namespace },
      spec: value.length === 0 ? {} : { dstOverrides: value },
    };
    return { file: path.join(folder, `split-${name}.yaml`), text: stringify(profile) };
  }
  const doc = located.docs[located.index]!;
  if (value.length === 0) doc.deleteIn(['spec', 'dstOverrides']);
  else doc.setIn(['spec', 'dstOverrides'], doc.createNode(value));
  // Only the profile's own document is printed again; the rest of the file stays byte for byte.
  const [start, , end] = doc.range;
  const text = located.source.slice(0, start) + doc.toString() + located.source.slice(end);
  return { file: located.file, text };
}

function isProfileNamed(obj: unknown, name: string): boolean {
  if (obj === null || typeof obj !== 'object') return false;
  const o = obj as { kind?: unknown; metadata?: { name?: unknown } };
  return o.kind === 'ServiceProfile' && o.metadata?.name === name;
}

/** The backends that name a Service of the cluster domain which the folder does not define. */
export async function unknownBackends(
  folder: string,
  backends: readonly SplitBackend[],
  clusterDomain = 'cluster.local',
): Promise<string[]> {
  const services = new Set<string>();
  const entries = (await readdir(folder)).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'));
  for (const entry of entries) {
    for (const doc of parseAllDocuments(await readFile(path.join(folder, entry), 'utf8'))) {
      const o = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
      if (o?.kind === 'Service' && typeof o.metadata?.name === 'string') {
        services.add(
          `${o.metadata.name}.${typeof o.metadata.namespace === 'string' ? o.metadata.namespace : 'default'}`,
        );
      }
    }
  }
  const suffix = `.svc.${clusterDomain}`;
  return backends
    .map((b) => b.authority.replace(/:\d+$/, ''))
    .filter((host) => host.endsWith(suffix) && !services.has(host.slice(0, -suffix.length)));
}
