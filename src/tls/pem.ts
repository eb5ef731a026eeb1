// PEM: split bundles into blocks, join PEM texts safely, convert DER <-> PEM.
//
// Contract: splitting accepts what files and Secrets hold in practice (CRLF, blank lines, text
// between blocks, a last block without a trailing newline) and rejects what would silently lose a
// certificate (an unterminated block, mismatched BEGIN/END labels, bad base64). Every PEM text this
// module produces ends with exactly one newline, so concatenating outputs is always safe; `joinPem`
// makes concatenating foreign PEM (e.g. @peculiar/x509's `toString('pem')`, which has no trailing
// newline) safe too. Failures throw CertificateError. Pure and synchronous.

import { CertificateError } from './errors.ts';

/** One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, …) and its DER content. */
export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const END = /^-----END ([A-Z0-9 ]+)-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Splits a PEM text into its blocks, in order. `source` names the text in messages. */
export function splitPem(text: string, source = 'PEM text'): PemBlock[] {
  const blocks: PemBlock[] = [];
  const lines = text.split(/\r?\n/);
  let label: string | undefined;
  let beganAt = 0;
  let body: string[] = [];
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (label === undefined) {
      const begin = BEGIN.exec(line);
      if (begin !== null) {
        label = begin[1]!;
        beganAt = index + 1;
        body = [];
      } else if (END.test(line)) {
        fail(source, `line ${index + 1} ends a block that was never begun`);
      }
      continue;
    }
    const end = END.exec(line);
    if (end !== null) {
      if (end[1] !== label) {
        fail(source, `the block begun on line ${beganAt} as "${label}" ends on line ${index + 1} as "${end[1]}"`);
      }
      blocks.push({ label, der: decodeBody(body, source, beganAt) });
      label = undefined;
      continue;
    }
    if (BEGIN.test(line)) fail(source, `line ${index + 1} begins a block inside the block begun on line ${beganAt}`);
    if (line.includes(':')) continue; // RFC 1421 headers (Proc-Type, DEK-Info) are ignored here.
    body.push(line);
  }
  if (label !== undefined) {
    fail(source, `the "${label}" block begun on line ${beganAt} has no "-----END ${label}-----" line`);
  }
  return blocks;
}

/** The DER of every `CERTIFICATE` block, in order; at least one is required. */
export function certificatesFromPem(text: string, source = 'certificate PEM'): Buffer[] {
  const blocks = splitPem(text, source);
  const certificates = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
  if (certificates.length === 0) {
    const found = blocks.length === 0 ? 'no PEM blocks' : `only ${blocks.map((b) => `"${b.label}"`).join(', ')} blocks`;
    fail(source, `it holds ${found}; expected one or more "-----BEGIN CERTIFICATE-----" blocks`);
  }
  return certificates;
}

/** The DER of the single block labelled `label` in `text`. */
export function pemToDer(text: string, label: string, source = `${label} PEM`): Buffer {
  const blocks = splitPem(text, source).filter((b) => b.label === label);
  if (blocks.length !== 1) {
    fail(source, `expected exactly one "-----BEGIN ${label}-----" block, found ${blocks.length}`);
  }
  return blocks[0]!.der;
}

/** PEM text for `der`: 64-character lines, ending with a newline. */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Concatenates PEM texts, adding the newline a text may lack (`toString('pem')` pitfall). */
export function joinPem(texts: readonly string[]): string {
  return texts
    .filter((t) => t.trim().length > 0)
    .map((t) => (t.endsWith('\n') ? t : `${t}\n`))
    .join('');
}

/** PEM text of several certificates (leaf first, for a TLS `cert` chain). */
export function certificatesToPem(ders: readonly Uint8Array[]): string {
  return ders.map((der) => derToPem(der)).join('');
}

function decodeBody(lines: readonly string[], source: string, beganAt: number): Buffer {
  const joined = lines.join('');
  lines.forEach((line, i) => {
    if (!BASE64_LINE.test(line))
      fail(source, `line ${beganAt + 1 + i} of the block begun on line ${beganAt} is not base64`);
  });
  if (joined.length === 0 || joined.length % 4 !== 0 || /=[^=]/.test(joined)) {
    fail(source, `the block begun on line ${beganAt} does not hold whole base64 (length ${joined.length})`);
  }
  return Buffer.from(joined, 'base64');
}

function fail(source: string, detail: string): never {
  throw new CertificateError(`the ${source} is not valid PEM: ${detail}`, { fields: { source } });
}
