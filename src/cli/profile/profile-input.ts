// Reading the input of `nodemesh profile`: a file or stdin (`-`), and for OpenAPI documents the
// YAML or JSON decoded with a way back from a field path to its line.
//
// Contract: every failure is a ProfileSourceError naming the file (stdin is shown as `-`). YAML is
// read as YAML 1.2 (JSON is a subset), duplicate keys are refused, and alias expansion is bounded.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { LineCounter, parseDocument } from 'yaml';
import { nodeLine } from '../../text/yaml-node-line.ts';
import { ProfileSourceError } from './profile-source-error.ts';

/** The most bytes read from a file or stdin: specs are text, and a runaway pipe must not exhaust memory. */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024;
const MAX_ALIAS_COUNT = 100;

/** A field path in a decoded document: keys and list indexes. */
export type DocPath = readonly (string | number)[];

export interface DecodedDocument {
  readonly value: unknown;
  /** The line of the deepest existing node on `path`, when known. */
  readonly lineOf: (path: DocPath) => number | undefined;
}

/** The text of `file` (resolved against `cwd`), or of `stdin` when `file` is `-`. */
export async function readInput(file: string, opts: { cwd: string; stdin: Readable }): Promise<string> {
  try {
    const data = file === '-' ? await readBounded(opts.stdin) : await readFile(path.resolve(opts.cwd, file));
    if (data.length > MAX_INPUT_BYTES) throw new Error(`larger than ${MAX_INPUT_BYTES} bytes`);
    return data.toString('utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ProfileSourceError(
      file,
      [{ path: '(document)', problem: `cannot read: ${reason}`, allowed: 'a readable file, or - for stdin' }],
      { cause: err },
    );
  }
}

async function readBounded(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw new Error(`stdin is larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Decodes YAML or JSON text (one document); throws ProfileSourceError with line and column. */
export function decodeDocument(text: string, file: string): DecodedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const allowed = 'one YAML or JSON document';
  if (doc.errors.length > 0) {
    throw new ProfileSourceError(
      file,
      doc.errors.map((e) => ({
        path: '(document)',
        problem: `invalid YAML/JSON at column ${e.linePos?.[0].col ?? 1}: ${(e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '')}`,
        allowed,
        line: e.linePos?.[0].line ?? 1,
      })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ProfileSourceError(file, [{ path: '(document)', problem: (err as Error).message, allowed }], {
      cause: err,
    });
  }
  const lineAt = (offset: number): number => Math.max(1, lineCounter.linePos(offset).line);
  return { value, lineOf: (p) => nodeLine(doc.contents, p, lineAt) };
}
