// Reads the objects out of one YAML file of the resource folder: every document (`---`), `kind:
// List` (and `<Kind>List`) unpacked, each object checked for what a source needs. Pure: text in,
// objects and errors out.
//
// Contract:
// - A bad document or List item yields exactly ONE ResourceDocumentError with the file, the line
//   and column (1-based) and the field at fault, and is skipped; the other documents of the file
//   are still returned. Empty documents (only comments) are ignored.
// - Checked: YAML syntax (duplicate keys included); a mapping; `apiVersion`, `kind` and
//   `metadata.name` present and strings; `metadata.namespace` a string when set; and a kind (with
//   its apiVersion) that a ResourceSource serves. Nothing deeper: specs are carried as they are.
// - Objects come back with `metadata.namespace` defaulted to `default`, deep-frozen.
// - YAML 1.1 is read, as kubectl does (`yes`/`on` are booleans), so a file means the same here as
//   through `kubectl apply`.

import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { freezeObject } from './resource-cache.ts';
import { pruneForCache } from './resource-projection.ts';
import { ResourceDocumentError, type DocumentLocation } from './resource-errors.ts';
import {
  DEFAULT_NAMESPACE,
  RESOURCE_KINDS,
  RESOURCE_KIND_NAMES,
  resourceKindOf,
  type CachedObject,
  type ResourceKind,
} from './resource-source.ts';

/** One object read from a file, with where it starts. */
export interface DocumentObject {
  readonly kind: ResourceKind;
  readonly object: CachedObject;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The path of the object in its document: '' at the top, `items[2].` in a List. */
  readonly path: string;
}

export interface ParsedDocuments {
  readonly objects: readonly DocumentObject[];
  readonly errors: readonly ResourceDocumentError[];
}

/** Parses `text` (the contents of `file`) into objects and errors. Never throws. */
export function parseResourceDocuments(text: string, file: string): ParsedDocuments {
  const lines = new LineCounter();
  const objects: DocumentObject[] = [];
  const errors: ResourceDocumentError[] = [];
  const where = (offset: number | undefined, field: string | undefined): DocumentLocation => {
    const { line, col } = lines.linePos(offset ?? 0);
    return { file, line, column: col, field };
  };
  const documents = parseAllDocuments(text, { lineCounter: lines, version: '1.1', prettyErrors: false });
  // With text that holds no document at all, yaml returns an empty stream (an array-like).
  for (const document of Array.from(documents as Iterable<Document.Parsed>)) {
    const syntax = document.errors[0];
    if (syntax !== undefined) {
      const firstLine = syntax.message.split('\n')[0] ?? syntax.message;
      errors.push(new ResourceDocumentError(where(syntax.pos[0], undefined), `YAML syntax error: ${firstLine}`));
      continue;
    }
    const contents = document.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      errors.push(new ResourceDocumentError(where(contents.range?.[0], undefined), `cannot be read: ${message}`));
      continue;
    }
    const reader = { where, objects, errors };
    if (isListDocument(value)) readList(reader, contents, value);
    else readObject(reader, contents, value, '');
  }
  return { objects, errors };
}

interface Reader {
  readonly where: (offset: number | undefined, field: string | undefined) => DocumentLocation;
  readonly objects: DocumentObject[];
  readonly errors: ResourceDocumentError[];
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `kind: List` (what `kubectl get -o yaml` writes) or `<Kind>List`. */
function isListDocument(value: unknown): value is Plain & { kind: string } {
  return isPlain(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List');
}

function readList(reader: Reader, node: Node, list: Plain): void {
  const itemsNode = isMap(node) ? node.get('items', true) : undefined;
  const items = list['items'];
  if (!Array.isArray(items)) {
    const at = (itemsNode as Node | undefined)?.range?.[0] ?? node.range?.[0];
    reader.errors.push(
      new ResourceDocumentError(reader.where(at, 'items'), `a ${String(list['kind'])} needs items to be a list`),
    );
    return;
  }
  const itemNodes = isSeq(itemsNode) ? itemsNode.items : [];
  items.forEach((item, index) => {
    const itemNode = itemNodes[index];
    readObject(reader, isNode(itemNode) ? itemNode : node, item, `items[${index}].`);
  });
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}

/** Checks one object; pushes it, or ONE error. `prefix` is the path of the object (`items[2].`). */
function readObject(reader: Reader, node: Node, value: unknown, prefix: string): void {
  const problem = checkObject(node, value, prefix);
  if (problem !== undefined) {
    reader.errors.push(new ResourceDocumentError(reader.where(problem.offset, problem.field), problem.message));
    return;
  }
  const object = value as Plain & { apiVersion: string; kind: string; metadata: Plain & { name: string } };
  const kind = resourceKindOf(object.apiVersion, object.kind) as ResourceKind;
  const namespace = (object.metadata['namespace'] as string | null | undefined) ?? DEFAULT_NAMESPACE;
  const metadata = { ...object.metadata, namespace };
  const { line, column, file } = reader.where(node.range?.[0], undefined);
  const frozen = freezeObject(pruneForCache(kind, { ...object, metadata })) as CachedObject;
  reader.objects.push({ kind, object: frozen, file, line, column, path: prefix });
}

interface Problem {
  readonly offset: number | undefined;
  readonly field: string | undefined;
  readonly message: string;
}

function checkObject(node: Node, value: unknown, prefix: string): Problem | undefined {
  const start = node.range?.[0];
  const at = (path: readonly string[]): number | undefined => {
    const found = isMap(node) ? node.getIn(path, true) : undefined;
    return (isNode(found) ? found.range?.[0] : undefined) ?? start;
  };
  if (!isPlain(value)) {
    const what = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    const field = prefix === '' ? undefined : prefix.slice(0, -1);
    return {
      offset: start,
      field,
      message: `an object must be a mapping with apiVersion, kind and metadata; got ${what}`,
    };
  }
  for (const key of ['apiVersion', 'kind'] as const) {
    const field = value[key];
    if (field === undefined || field === null || field === '') {
      return { offset: start, field: prefix + key, message: `${prefix}${key} is missing (every object needs one)` };
    }
    if (typeof field !== 'string') {
      return { offset: at([key]), field: prefix + key, message: `${prefix}${key} must be a string` };
    }
  }
  const apiVersion = value['apiVersion'] as string;
  const kindName = value['kind'] as string;
  if (kindName === 'List' || kindName.endsWith('List')) {
    return { offset: at(['kind']), field: `${prefix}kind`, message: `a ${kindName} inside a list is not allowed` };
  }
  if (resourceKindOf(apiVersion, kindName) === undefined) {
    const known = (RESOURCE_KINDS as Readonly<Record<string, (typeof RESOURCE_KINDS)[ResourceKind] | undefined>>)[
      kindName
    ];
    if (known !== undefined && Object.hasOwn(RESOURCE_KINDS, kindName)) {
      return {
        offset: at(['apiVersion']),
        field: `${prefix}apiVersion`,
        message: `apiVersion ${JSON.stringify(apiVersion)} is not read for ${kindName}; use ${JSON.stringify(known.apiVersion)}`,
      };
    }
    return {
      offset: at(['kind']),
      field: `${prefix}kind`,
      message: `kind ${JSON.stringify(kindName)} is not one nodemesh reads (${RESOURCE_KIND_NAMES.join(', ')})`,
    };
  }
  const metadata = value['metadata'];
  if (metadata === undefined || metadata === null) {
    return {
      offset: start,
      field: `${prefix}metadata.name`,
      message: `${prefix}metadata.name is missing (every object needs a name)`,
    };
  }
  if (!isPlain(metadata)) {
    return { offset: at(['metadata']), field: `${prefix}metadata`, message: `${prefix}metadata must be a mapping` };
  }
  const name = metadata['name'];
  if (name === undefined || name === null || name === '') {
    return {
      offset: at(['metadata']),
      field: `${prefix}metadata.name`,
      message: `${prefix}metadata.name is missing (every object needs a name)`,
    };
  }
  if (typeof name !== 'string') {
    return {
      offset: at(['metadata', 'name']),
      field: `${prefix}metadata.name`,
      message: `${prefix}metadata.name must be a string`,
    };
  }
  const namespace = metadata['namespace'];
  if (namespace !== undefined && namespace !== null && (typeof namespace !== 'string' || namespace === '')) {
    return {
      offset: at(['metadata', 'namespace']),
      field: `${prefix}metadata.namespace`,
      message: `${prefix}metadata.namespace must be a non-empty string (or left out for "${DEFAULT_NAMESPACE}")`,
    };
  }
  return undefined;
}
