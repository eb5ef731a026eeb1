// Reading Kubernetes YAML for `nodemesh inject` / `uninject` from files, folders and stdin, and
// writing it back. YAML 1.1 is used both ways, as kubectl reads it: an unquoted `on` is a boolean
// on the way in, and a string "on" or "yes" is quoted on the way out so it stays a string.
//
// Contract: documents come back in input order (files in argument order, a folder's files sorted
// by path); a document the caller did not change is written as it was read (comments kept).

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Document, parseAllDocuments } from 'yaml';
import { InjectInputError } from './inject-errors.ts';

const YAML_FILE = /\.(ya?ml|json)$/i;
const MAX_DEPTH = 8;

export interface InputText {
  /** The file path, or `-` for stdin. */
  readonly source: string;
  readonly text: string;
}

export interface InputDocument {
  readonly source: string;
  readonly doc: Document.Parsed;
  /** The document's text as read, from the end of the previous document (comments included). */
  readonly original: string;
  /** The document's value (undefined for an empty document). */
  readonly value: unknown;
}

export async function readInputs(
  args: readonly string[],
  opts: { cwd: string; stdin: Readable },
): Promise<InputText[]> {
  const out: InputText[] = [];
  for (const arg of args) {
    if (arg === '-') {
      out.push({ source: '-', text: await readStream(opts.stdin) });
      continue;
    }
    const file = path.resolve(opts.cwd, arg);
    for (const found of await expand(file, arg, 0)) {
      try {
        out.push({ source: found.shown, text: await readFile(found.file, 'utf8') });
      } catch (err) {
        throw new InjectInputError(`${found.shown}: cannot read: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  return out;
}

async function expand(file: string, shown: string, depth: number): Promise<{ file: string; shown: string }[]> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw new InjectInputError(`${shown}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  if (!info.isDirectory()) return [{ file, shown }];
  if (depth >= MAX_DEPTH) return [];
  const entries = (await readdir(file, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const out: { file: string; shown: string }[] = [];
  for (const entry of entries) {
    const child = path.join(file, entry.name);
    const childShown = path.join(shown, entry.name);
    if (entry.isDirectory()) out.push(...(await expand(child, childShown, depth + 1)));
    else if (YAML_FILE.test(entry.name)) out.push({ file: child, shown: childShown });
  }
  return out;
}

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Every document of every input; throws InjectInputError naming the file and line of a YAML error. */
export function parseInputs(inputs: readonly InputText[]): InputDocument[] {
  const out: InputDocument[] = [];
  for (const input of inputs) {
    let end = 0;
    for (const doc of parseAllDocuments(input.text, { version: '1.1', prettyErrors: true })) {
      const error = doc.errors[0];
      if (error !== undefined) {
        const line = error.linePos?.[0].line;
        const message = error.message.split('\n')[0] ?? error.message;
        throw new InjectInputError(`${input.source}${line === undefined ? '' : `:${line}`}: ${message}`);
      }
      const value: unknown = doc.toJS({ maxAliasCount: 100 });
      if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
        throw new InjectInputError(`${input.source}: a document is not a Kubernetes object (a YAML mapping)`);
      }
      const original = input.text.slice(end, doc.range[2]).replace(/^---[ \t]*\n/, '');
      end = doc.range[2];
      out.push({ source: input.source, doc, original, value: value ?? undefined });
    }
  }
  return out;
}

/** One YAML stream: each document's original text, or `replacement` for those changed. */
export function writeDocuments(
  docs: readonly { readonly input: InputDocument; readonly replacement: unknown }[],
): string {
  const texts = docs.map(({ input, replacement }) => {
    if (replacement === undefined) return input.original;
    // The comment lines above the document are kept; comments inside a changed one are not.
    const leading = /^(?:[ \t]*(?:#.*)?\n)*/.exec(input.original)?.[0] ?? '';
    return `${leading}${new Document(replacement, { version: '1.1' }).toString({ lineWidth: 0 })}`;
  });
  return texts
    .filter((t) => t.trim() !== '')
    .map((t) => (t.endsWith('\n') ? t : `${t}\n`))
    .join('---\n');
}
