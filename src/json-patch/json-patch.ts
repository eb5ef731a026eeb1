// RFC 6902 JSON Patch: the operation type, RFC 6901 pointer escaping, and a small applier.
//
// Contract: applyJsonPatch never changes its input; it returns a patched deep copy, or throws
// JsonPatchError naming the operation (by index), its path and why it failed. The injector builds
// its patches with these types, and tests and `nodemesh inject` apply them with this applier, so
// the webhook and the CLI share one implementation.

import { MeshError, type MeshErrorOptions } from '../errors/index.ts';

export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly path: string };

export class JsonPatchError extends MeshError {
  constructor(index: number, path: string, reason: string, options?: MeshErrorOptions) {
    super('MESH_ERR_JSON_PATCH', `JSON Patch operation ${index} (path ${JSON.stringify(path)}): ${reason}`, {
      ...options,
      fields: { index, path, ...options?.fields },
    });
  }
}

/** One reference token escaped for a JSON Pointer: `~` → `~0`, `/` → `~1` (RFC 6901 §3). */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** A JSON Pointer built from unescaped tokens, e.g. ['metadata', 'annotations', 'a/b'] → /metadata/annotations/a~1b. */
export function jsonPointer(...tokens: readonly (string | number)[]): string {
  return tokens.map((t) => `/${escapePointerToken(String(t))}`).join('');
}

/** The unescaped tokens of a JSON Pointer; undefined when it is not one. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.slice(1).split('/');
  if (tokens.some((t) => /~[^01]|~$/.test(t))) return undefined;
  return tokens.map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

type Json = unknown;

/** Applies `patch` to a deep copy of `document` and returns it. */
export function applyJsonPatch(document: Json, patch: readonly JsonPatchOperation[]): Json {
  let doc = structuredClone(document);
  patch.forEach((operation, index) => {
    doc = applyOne(doc, operation, index);
  });
  return doc;
}

function applyOne(doc: Json, op: JsonPatchOperation, index: number): Json {
  const fail = (reason: string): never => {
    throw new JsonPatchError(index, op.path, reason);
  };
  const tokens = parsePointer(op.path) ?? fail('not a JSON Pointer');
  switch (op.op) {
    case 'add':
      return put(doc, tokens, structuredClone(op.value), 'add', fail);
    case 'replace':
      return put(doc, tokens, structuredClone(op.value), 'replace', fail);
    case 'remove':
      return remove(doc, tokens, fail);
    case 'test':
      if (!deepEqual(get(doc, tokens, fail), op.value)) fail('test failed: the value differs');
      return doc;
    case 'move':
    case 'copy': {
      const from = parsePointer(op.from) ?? fail(`from ${JSON.stringify(op.from)} is not a JSON Pointer`);
      const value = structuredClone(get(doc, from, fail));
      const without = op.op === 'move' ? remove(doc, from, fail) : doc;
      return put(without, tokens, value, 'add', fail);
    }
    default: {
      const never: never = op;
      return fail(`unknown op ${JSON.stringify((never as { op: unknown }).op)}`);
    }
  }
}

function get(doc: Json, tokens: readonly string[], fail: (reason: string) => never): Json {
  let current = doc;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      const i = arrayIndex(token, current.length - 1) ?? fail(`no element ${JSON.stringify(token)}`);
      current = current[i];
    } else if (isObject(current) && Object.hasOwn(current, token)) {
      current = current[token];
    } else {
      fail(`no member ${JSON.stringify(token)}`);
    }
  }
  return current;
}

function put(
  doc: Json,
  tokens: readonly string[],
  value: Json,
  mode: 'add' | 'replace',
  fail: (r: string) => never,
): Json {
  if (tokens.length === 0) return value;
  const parent = get(doc, tokens.slice(0, -1), fail);
  const last = tokens[tokens.length - 1] ?? '';
  if (Array.isArray(parent)) {
    if (mode === 'add' && last === '-') {
      parent.push(value);
      return doc;
    }
    const max = mode === 'add' ? parent.length : parent.length - 1;
    const i = arrayIndex(last, max) ?? fail(`index ${JSON.stringify(last)} is out of range (0..${max})`);
    if (mode === 'add') parent.splice(i, 0, value);
    else parent[i] = value;
    return doc;
  }
  if (!isObject(parent)) return fail('the parent is neither an object nor an array');
  if (mode === 'replace' && !Object.hasOwn(parent, last)) fail(`no member ${JSON.stringify(last)} to replace`);
  parent[last] = value;
  return doc;
}

function remove(doc: Json, tokens: readonly string[], fail: (r: string) => never): Json {
  if (tokens.length === 0) return fail('cannot remove the whole document');
  const parent = get(doc, tokens.slice(0, -1), fail);
  const last = tokens[tokens.length - 1] ?? '';
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length - 1) ?? fail(`no element ${JSON.stringify(last)}`);
    parent.splice(i, 1);
  } else if (isObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else {
    fail(`no member ${JSON.stringify(last)}`);
  }
  return doc;
}

function arrayIndex(token: string, max: number): number | undefined {
  if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
  const i = Number(token);
  return i <= max ? i : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
