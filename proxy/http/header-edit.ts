// Header edits of Gateway API `RequestHeaderModifier` and `ResponseHeaderModifier` filters, applied
// to a forwarded request's headers and to a response head on its way to the client.
//
// Contract: pure over copies (the inputs are never changed). Each edit applies in order: `set`
// replaces every value of a name, `add` appends a value (an existing single value becomes
// `old,new`, as the spec's example shows), `remove` deletes the name. Names compare ignoring case.
// An empty list of edits returns the input itself, so callers need no check of their own.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

export interface HeaderEdit {
  readonly set: readonly { readonly name: string; readonly value: string }[];
  readonly add: readonly { readonly name: string; readonly value: string }[];
  readonly remove: readonly string[];
}

type Headers = Record<string, string | string[] | number | undefined>;

function applyEdit(out: Headers, edit: HeaderEdit): void {
  for (const { name, value } of edit.set) out[name.toLowerCase()] = value;
  for (const { name, value } of edit.add) {
    const key = name.toLowerCase();
    const prior = out[key];
    if (prior === undefined) out[key] = value;
    else if (Array.isArray(prior)) out[key] = [...prior, value];
    else out[key] = `${String(prior)},${value}`;
  }
  for (const name of edit.remove) delete out[name.toLowerCase()];
}

/** Request headers (lower-case names, as Node.js delivers them) with the edits applied. */
export function editRequestHeaders(headers: IncomingHttpHeaders, edits: readonly HeaderEdit[]): IncomingHttpHeaders {
  if (edits.length === 0) return headers;
  const out: Headers = { ...headers };
  for (const edit of edits) applyEdit(out, edit);
  return out as IncomingHttpHeaders;
}

/** Response headers as a record (HTTP/2 and HTTP/1-over-HTTP/2 forwarding) with the edits applied. */
export function editHeaderRecord(headers: OutgoingHttpHeaders, edits: readonly HeaderEdit[]): OutgoingHttpHeaders {
  if (edits.length === 0) return headers;
  const out: Headers = { ...headers };
  for (const edit of edits) applyEdit(out, edit);
  return out;
}

/** A raw HTTP/1 header list (`[name, value, name, value…]`, names as sent) with the edits applied. */
export function editRawHeaders(raw: readonly string[], edits: readonly HeaderEdit[]): string[] {
  if (edits.length === 0) return raw as string[];
  let out = [...raw];
  for (const edit of edits) {
    const drop = new Set<string>();
    for (const { name } of edit.set) drop.add(name.toLowerCase());
    for (const name of edit.remove) drop.add(name.toLowerCase());
    const added = new Map<string, string>();
    for (const { name, value } of edit.add) added.set(name.toLowerCase(), value);
    const next: string[] = [];
    for (let i = 0; i < out.length; i += 2) {
      const name = out[i]!;
      const lower = name.toLowerCase();
      if (drop.has(lower)) continue;
      const extra = added.get(lower);
      if (extra !== undefined) {
        // The first value of the name gets the addition; later ones stay as they were.
        next.push(name, `${out[i + 1]!},${extra}`);
        added.delete(lower);
      } else next.push(name, out[i + 1]!);
    }
    for (const { name, value } of edit.set) next.push(name.toLowerCase(), value);
    for (const [name, value] of added) next.push(name, value);
    out = next;
  }
  return out;
}
