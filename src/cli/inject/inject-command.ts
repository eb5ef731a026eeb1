// `nodemesh inject` and `nodemesh uninject`: Kubernetes YAML in, the same YAML out with each pod
// template marked for injection (default), injected (--manual), or cleaned of the proxy (uninject).
// The injection itself is the webhook's (InjectBackend, wired in bin/nodemesh.ts).
//
// Contract: writes the whole output only after every input was read and parsed; a bad annotation
// leaves its object unchanged, is reported, and makes the exit status 1.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { MeshError, UsageError } from '../../errors/index.ts';
import { applyJsonPatch } from '../../json-patch/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext, type CommandRunner } from '../command.ts';
import { writeLine } from '../output.ts';
import type { InjectBackend, TemplateInjector } from './inject-backend.ts';
import { InjectInputError } from './inject-errors.ts';
import { transformObject, type WorkloadRef } from './workloads.ts';
import { parseInputs, readInputs, writeDocuments } from './yaml-io.ts';

export const INJECT_ANNOTATION = 'nodemesh.io/inject';

type Obj = Readonly<Record<string, unknown>>;

export interface InjectCommandDeps {
  readonly backend: InjectBackend;
  readonly stdin: Readable;
}

function label(ref: WorkloadRef): string {
  return `${ref.kind.toLowerCase()}/${ref.name}`;
}

/** The template with `nodemesh.io/inject: enabled` (replacing any other value). */
export function withInjectAnnotation(template: Obj): Obj {
  const meta = (template['metadata'] ?? {}) as Obj;
  const annotations = (meta['annotations'] ?? {}) as Obj;
  return { ...template, metadata: { ...meta, annotations: { ...annotations, [INJECT_ANNOTATION]: 'enabled' } } };
}

export function createInjectCommand(deps: InjectCommandDeps): CommandRunner {
  return async (ctx: CommandContext): Promise<number> => {
    const cmd = 'inject';
    const { values, positionals } = parseFlags(
      cmd,
      ctx.argv,
      {
        manual: { type: 'boolean' },
        values: { type: 'string', multiple: true },
        'trust-anchors': { type: 'string' },
        namespace: { type: 'string' },
      },
      true,
    );
    if (positionals.length === 0) throw new UsageError(`${cmd}: give at least one FILE, DIR, or - for standard input`);
    const manual = values.manual === true;
    if (
      !manual &&
      (values.values !== undefined || values['trust-anchors'] !== undefined || values.namespace !== undefined)
    ) {
      throw new UsageError(`${cmd}: --values, --trust-anchors and --namespace apply only with --manual`);
    }
    const docs = await readDocs(ctx, deps, positionals, cmd);
    if (docs === undefined) return EXIT_FAILURE;

    let injector: TemplateInjector | undefined;
    if (manual) {
      const pemFile = values['trust-anchors'];
      const pem = pemFile === undefined ? undefined : await readText(ctx, pemFile, cmd);
      if (pem === null) return EXIT_FAILURE;
      injector = await deps.backend.loadInjector({
        valuesFiles: (values.values ?? []).map((f) => path.resolve(ctx.cwd, f)),
        trustAnchorsPem: pem,
        namespace: values.namespace,
      });
    }

    let failed = false;
    const out = docs.map((input) => {
      const value = input.value;
      if (value === undefined) return { input, replacement: undefined };
      const next = transformObject(
        value as Obj,
        (template, ref) => {
          const annotated = withInjectAnnotation(template);
          if (injector === undefined) {
            writeLine(ctx.stderr, `${label(ref)}: annotated ${INJECT_ANNOTATION}=enabled`);
            return annotated;
          }
          try {
            const owner = ref.kind === 'Pod' ? undefined : { kind: ref.kind.toLowerCase(), name: ref.name };
            const result = injector.inject({ template: annotated, namespace: ref.namespace, owner });
            for (const w of result.warnings) writeLine(ctx.stderr, `${label(ref)}: warning: ${w}`);
            if (!result.injected) {
              writeLine(ctx.stderr, `${label(ref)}: skipped (${result.reason}): ${result.message}`);
              return undefined;
            }
            writeLine(ctx.stderr, `${label(ref)}: injected`);
            return applyJsonPatch(annotated, result.patch) as Obj;
          } catch (err) {
            if (!(err instanceof MeshError) || err.code !== 'MESH_ERR_INJECT_ANNOTATION') throw err;
            failed = true;
            writeLine(ctx.stderr, `${label(ref)}: not injected: ${err.message} [${err.code}]`);
            return undefined;
          }
        },
        (ref) => writeLine(ctx.stderr, `${label(ref)}: unchanged (no pod template)`),
      );
      return { input, replacement: next === value ? undefined : next };
    });
    ctx.stdout.write(writeDocuments(out));
    return failed ? EXIT_FAILURE : EXIT_OK;
  };
}

export function createUninjectCommand(deps: InjectCommandDeps): CommandRunner {
  return async (ctx: CommandContext): Promise<number> => {
    const cmd = 'uninject';
    const { values, positionals } = parseFlags(cmd, ctx.argv, { values: { type: 'string', multiple: true } }, true);
    if (positionals.length === 0) throw new UsageError(`${cmd}: give at least one FILE, DIR, or - for standard input`);
    const docs = await readDocs(ctx, deps, positionals, cmd);
    if (docs === undefined) return EXIT_FAILURE;
    const uninjector = await deps.backend.loadUninjector({
      valuesFiles: (values.values ?? []).map((f) => path.resolve(ctx.cwd, f)),
    });
    const out = docs.map((input) => {
      const value = input.value;
      if (value === undefined) return { input, replacement: undefined };
      const next = transformObject(
        value as Obj,
        (template, ref) => {
          const result = uninjector.uninject(template);
          writeLine(ctx.stderr, `${label(ref)}: ${result.changed ? 'uninjected' : 'unchanged (no proxy)'}`);
          return result.changed ? result.template : undefined;
        },
        (ref) => writeLine(ctx.stderr, `${label(ref)}: unchanged (no pod template)`),
      );
      return { input, replacement: next === value ? undefined : next };
    });
    ctx.stdout.write(writeDocuments(out));
    return EXIT_OK;
  };
}

async function readDocs(ctx: CommandContext, deps: InjectCommandDeps, args: readonly string[], cmd: string) {
  try {
    return parseInputs(await readInputs(args, { cwd: ctx.cwd, stdin: deps.stdin }));
  } catch (err) {
    if (!(err instanceof InjectInputError)) throw err;
    writeLine(ctx.stderr, `${cmd}: ${err.message} [${err.code}]`);
    return undefined;
  }
}

/** The file's text, or null after reporting why it cannot be read. */
async function readText(ctx: CommandContext, file: string, cmd: string): Promise<string | null> {
  try {
    return await readFile(path.resolve(ctx.cwd, file), 'utf8');
  } catch (err) {
    writeLine(ctx.stderr, `${cmd}: ${file}: cannot read: ${(err as Error).message}`);
    return null;
  }
}
