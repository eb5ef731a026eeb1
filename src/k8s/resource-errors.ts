// The errors of the resource sources: a bad YAML document in the folder, a folder that cannot be
// read, and caches that did not sync in time.
//
// Contract: messages name what a person must fix (file, line, column and field; the kinds and the
// last error), and `fields` carries the same for logs.

import { MeshError, type MeshErrorOptions } from '../errors/index.ts';
import type { ResourceKind } from './resource-source.ts';

/** Where in a file a bad document (or field) is; line and column are 1-based. */
export interface DocumentLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The field at fault (`metadata.name`, `items[2].kind`), or undefined for a YAML syntax error. */
  readonly field: string | undefined;
}

/** One bad document in the resource folder: it is skipped, everything else is served. */
export class ResourceDocumentError extends MeshError implements DocumentLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string | undefined;
  /** The problem without the location prefix. */
  readonly problem: string;

  constructor(location: DocumentLocation, problem: string, options: MeshErrorOptions = {}) {
    const where = `${location.file}:${location.line}:${location.column}`;
    super('MESH_ERR_RESOURCE_DOCUMENT', `${where}: ${problem}`, {
      ...options,
      fields: { ...location, ...options.fields },
    });
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
    this.field = location.field;
    this.problem = problem;
  }
}

/** The resource folder is missing, not a folder, or unreadable. */
export class ResourceFolderError extends MeshError {
  readonly folder: string;

  constructor(folder: string, message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_RESOURCE_FOLDER', message, { ...options, fields: { folder, ...options.fields } });
    this.folder = folder;
  }
}

/** Some kinds were not listed before start() gave up (or the source was closed first). */
export class ResourceSyncError extends MeshError {
  readonly kinds: readonly ResourceKind[];

  constructor(kinds: readonly ResourceKind[], message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_RESOURCE_SYNC', message, { ...options, fields: { kinds, ...options.fields } });
    this.kinds = Object.freeze([...kinds]);
  }
}
