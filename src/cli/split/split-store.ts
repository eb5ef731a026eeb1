// Where `nodemesh split` reads and writes a Service's split: the local mesh's folder of YAML, or
// the Kubernetes API. Both give the same view: the Service's ServiceProfile split (dstOverrides)
// and the mesh routes attached to it.

import { rename, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { UsageError } from '../../errors/index.ts';
import { findSplit, setSplit, type SplitBackend } from './split-profile.ts';
import { meshRoutesFor, type RouteObject } from './split-route.ts';

export interface ProfileSplitView {
  /** Where the profile lives (a file, or `ServiceProfile ns/name`), undefined when there is none. */
  readonly where: string | undefined;
  readonly backends: readonly SplitBackend[];
  /** The profile has routes or dstOverrides, so it wins over Gateway API routes (ADR 0012). */
  readonly covers: boolean;
}

export interface SplitStore {
  profile(name: string): Promise<ProfileSplitView>;
  setProfileSplit(name: string, namespace: string, backends: readonly SplitBackend[]): Promise<void>;
  routes(service: string, namespace: string): Promise<RouteObject[]>;
  /** Writes `route` (rule `ruleIndex`'s backendRefs changed) back where it came from. */
  writeRoute(route: RouteObject, ruleIndex: number): Promise<void>;
}

/** The local mesh's resources folder (the destination service's file source). */
export function folderStore(folder: string): SplitStore {
  const yamlFiles = async (): Promise<string[]> =>
    (await readdir(folder))
      .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'))
      .sort()
      .map((f) => path.join(folder, f));
  const writeAtomically = async (file: string, text: string): Promise<void> => {
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
    await writeFile(temp, text);
    await rename(temp, file);
  };
  return {
    async profile(name) {
      const found = await findSplit(folder, name);
      return { where: found.file, backends: found.backends, covers: found.routes > 0 || found.backends.length > 0 };
    },
    async setProfileSplit(name, namespace, backends) {
      const { file, text } = await setSplit(folder, name, namespace, backends);
      await writeAtomically(file, text);
    },
    async routes(service, namespace) {
      const objects: unknown[] = [];
      for (const file of await yamlFiles()) {
        for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) objects.push(doc.toJS());
      }
      return meshRoutesFor(objects, service, namespace);
    },
    async writeRoute(route, ruleIndex) {
      for (const file of await yamlFiles()) {
        const source = await readFile(file, 'utf8');
        const docs = parseAllDocuments(source);
        for (const doc of docs) {
          const o = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
          if (
            o?.kind !== route.kind ||
            o.metadata?.name !== route.metadata.name ||
            (o.metadata.namespace ?? 'default') !== (route.metadata.namespace ?? 'default')
          ) {
            continue;
          }
          const refs = (route['spec'] as { rules: { backendRefs: unknown }[] }).rules[ruleIndex]?.backendRefs;
          doc.setIn(['spec', 'rules', ruleIndex, 'backendRefs'], doc.createNode(refs));
          // Only this document is printed again; the rest of the file stays byte for byte.
          const [start, , end] = doc.range;
          await writeAtomically(file, source.slice(0, start) + doc.toString() + source.slice(end));
          return;
        }
      }
      throw new UsageError(`split: ${route.kind} ${route.metadata.name} is no longer in ${folder}`);
    },
  };
}
