// `nodemesh split SERVICE.NAMESPACE [--set ...]`: show or set a Service's traffic split in the local
// mesh, by editing the ServiceProfile in the destination service's resources folder (atomically, so
// the file source never reads half a file).

import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors/index.ts';
import { parseWeight } from '../../profiles/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, parseOutputFormat, writeJson, writeLine } from '../output.ts';
import { MeshStateError, readMeshState } from '../stat/mesh-state.ts';
import { findSplit, parseSplitSpec, profileName, setSplit, unknownBackends } from './split-profile.ts';

export async function runSplit(ctx: CommandContext): Promise<number> {
  const cmd = 'split';
  const { values, positionals } = parseFlags(
    cmd,
    ctx.argv,
    { set: { type: 'string' }, 'state-dir': { type: 'string' }, output: { type: 'string', short: 'o' } },
    true,
  );
  const format = parseOutputFormat(cmd, values.output);
  const target = positionals[0];
  const parts = target?.split('.') ?? [];
  if (target === undefined || parts.length !== 2 || parts.some((p) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p))) {
    throw new UsageError(
      `${cmd}: give the Service as NAME.NAMESPACE, e.g. web.shop (got ${JSON.stringify(target ?? '')})`,
    );
  }
  if (positionals.length > 1) throw new UsageError(`${cmd}: unexpected argument ${JSON.stringify(positionals[1])}`);
  const [service, namespace] = parts as [string, string];

  let folder: string;
  try {
    const state = await readMeshState(ctx.cwd, values['state-dir']);
    const resources = state.components.find((c) => c.name === 'destination')?.addresses['resources'];
    if (resources === undefined) throw new MeshStateError('the local mesh has no destination resources folder');
    folder = resources;
  } catch (err) {
    if (!(err instanceof MeshStateError)) throw err;
    writeLine(ctx.stderr, `${cmd}: ${err.message}`);
    return EXIT_FAILURE;
  }
  const name = profileName(service, namespace);

  if (values.set !== undefined) {
    const backends = parseSplitSpec(values.set, namespace);
    const { file, text } = await setSplit(folder, name, namespace, backends);
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
    await writeFile(temp, text);
    await rename(temp, file);
    for (const host of await unknownBackends(folder, backends)) {
      writeLine(
        ctx.stderr,
        `${cmd}: warning: no Service ${host} in the local mesh; its share of requests fails with 503`,
      );
    }
  }
  const found = await findSplit(folder, name);
  const total = found.backends.reduce((sum, b) => {
    const w = parseWeight(b.weight);
    return sum + (w.ok ? w.decimillis : 0);
  }, 0);
  const rows = found.backends.map((b) => {
    const w = parseWeight(b.weight);
    const share = w.ok && total > 0 ? (100 * w.decimillis) / total : 0;
    return { backend: b.authority, weight: b.weight, share: Math.round(share * 10) / 10 };
  });
  if (format === 'json') {
    writeJson(ctx.stdout, { service: name, file: found.file ?? null, backends: rows });
    return EXIT_OK;
  }
  if (rows.length === 0) {
    writeLine(ctx.stdout, `${name}: no split; requests go to the Service's own endpoints`);
    return EXIT_OK;
  }
  writeLine(
    ctx.stdout,
    formatTable([['BACKEND', 'WEIGHT', 'SHARE'], ...rows.map((r) => [r.backend, r.weight, `${r.share}%`])]),
  );
  return EXIT_OK;
}
