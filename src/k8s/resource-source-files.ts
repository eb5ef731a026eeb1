// FileResourceSource: the ResourceSource of local mode and tests. It serves the objects of a folder
// of YAML files (`*.yaml`, `*.yml`, `*.json`; several documents per file and `kind: List` are
// fine) and follows the folder live: a file added, changed or removed fires add, update and
// delete within about a second.
//
// Contract:
// - start() reads the folder once (a missing or unreadable folder rejects with
//   ResourceFolderError), marks every kind synced, then watches: fs.watch for speed, debounced,
//   plus a poll every `pollIntervalMs` (a readdir and a stat per file; only changed files are
//   read) for what fs.watch misses (network filesystems, ConfigMap volumes that swap symlinks).
// - A bad document yields ONE ResourceDocumentError naming file, line, column and field; it is
//   logged once, kept in `errors()` until the file is fixed, and everything else is served. When
//   two documents define the same object, the first (by file name, then position) wins and the
//   other is an error. Objects without a namespace go to `default`.
// - Only the top level of the folder is read; dot-files and other extensions are ignored.
// - close() stops watching and polling; no read of the folder and no event happens after it
//   resolves.
// - This file must not load @kubernetes/client-node (local mode runs without it).

import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/index.ts';
import { systemClock, type Clock, type TimerHandle } from '../time/index.ts';
import { ResourceStore } from './resource-cache.ts';
import { parseResourceDocuments, type DocumentObject, type ParsedDocuments } from './resource-documents.ts';
import { ResourceDocumentError, ResourceFolderError } from './resource-errors.ts';
import {
  RESOURCE_KIND_NAMES,
  type CachedObject,
  type ObjectOf,
  type ResourceCache,
  type ResourceKind,
  type ResourceSource,
} from './resource-source.ts';

export interface FileResourceSourceDependencies {
  readonly log: Logger;
  /** Timers for the debounce and the poll (default: the system clock). */
  readonly clock?: Clock;
}

export interface FileResourceSourceOptions {
  /** The folder of YAML files. */
  readonly folder: string;
  /** How often the folder is checked for what fs.watch missed (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** How long to wait for a burst of file events to end before reading (default 100 ms). */
  readonly debounceMs?: number;
  /** Files larger than this are refused with an error (default 4 MiB). */
  readonly maxFileBytes?: number;
}

const RESOURCE_FILE = /\.(ya?ml|json)$/i;

interface FileState {
  /** mtime, size and inode: when they are unchanged, the poll does not read the file again. */
  readonly signature: string;
  /** The text read, or undefined when the file could not be read. */
  readonly text: string | undefined;
  readonly parsed: ParsedDocuments;
}

export class FileResourceSource implements ResourceSource {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #folder: string;
  readonly #pollIntervalMs: number;
  readonly #debounceMs: number;
  readonly #maxFileBytes: number;
  readonly #stores: Record<ResourceKind, ResourceStore<CachedObject>>;
  #files = new Map<string, FileState>();
  #errors: readonly ResourceDocumentError[] = [];
  #started: Promise<void> | undefined;
  #closed = false;
  #folderFailing = false;
  #scanning: Promise<void> | undefined;
  #scanWanted = false;
  #fullScanWanted = false;
  #watcher: FSWatcher | undefined;
  #pollTimer: TimerHandle | undefined;
  #debounceTimer: TimerHandle | undefined;
  #debounceSince = 0;

  constructor(deps: FileResourceSourceDependencies, options: FileResourceSourceOptions) {
    this.#log = deps.log;
    this.#clock = deps.clock ?? systemClock;
    this.#folder = path.resolve(options.folder);
    this.#pollIntervalMs = positive(options.pollIntervalMs ?? 1000, 'pollIntervalMs');
    this.#debounceMs = positive(options.debounceMs ?? 100, 'debounceMs');
    this.#maxFileBytes = positive(options.maxFileBytes ?? 4 * 1024 * 1024, 'maxFileBytes');
    const stores = {} as Record<ResourceKind, ResourceStore<CachedObject>>;
    for (const kind of RESOURCE_KIND_NAMES) {
      stores[kind] = new ResourceStore({
        onHandlerError: (err, event, object) =>
          this.#log.error(
            { err, kind, event, namespace: object.metadata.namespace, name: object.metadata.name },
            'a resource handler threw',
          ),
      });
    }
    this.#stores = stores;
  }

  /** The folder served (absolute). */
  get folder(): string {
    return this.#folder;
  }

  get synced(): boolean {
    return RESOURCE_KIND_NAMES.every((kind) => this.#stores[kind].synced);
  }

  kind<K extends ResourceKind>(kind: K): ResourceCache<ObjectOf<K>> {
    return this.#stores[kind] as unknown as ResourceCache<ObjectOf<K>>;
  }

  /** The documents skipped right now, in file order (empty when the folder is clean). */
  errors(): readonly ResourceDocumentError[] {
    return this.#errors;
  }

  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  /** Reads every file again now; resolves once the caches reflect the folder. */
  async refresh(): Promise<void> {
    if (this.#started === undefined) throw new Error('FileResourceSource: call start() before refresh()');
    await this.#started;
    await this.#requestScan(true);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#debounceTimer?.cancel();
    this.#pollTimer?.cancel();
    this.#watcher?.close();
    this.#watcher = undefined;
    await this.#scanning;
  }

  async #start(): Promise<void> {
    if (this.#closed) throw new Error('FileResourceSource: start() after close()');
    let info;
    try {
      info = await stat(this.#folder);
    } catch (err) {
      throw new ResourceFolderError(this.#folder, `resource folder ${this.#folder} cannot be read: ${reason(err)}`, {
        cause: err,
      });
    }
    if (!info.isDirectory()) {
      throw new ResourceFolderError(this.#folder, `resource folder ${this.#folder} is not a folder`);
    }
    await this.#requestScan(true);
    if (this.#closed) return;
    for (const kind of RESOURCE_KIND_NAMES) this.#stores[kind].markSynced();
    this.#watch();
    this.#armPoll();
    this.#log.info(
      { folder: this.#folder, files: this.#files.size, errors: this.#errors.length },
      'resource folder loaded and watched',
    );
  }

  #watch(): void {
    if (this.#closed || this.#watcher !== undefined) return;
    try {
      const watcher = watch(this.#folder, { persistent: false }, () => this.#onFileEvent());
      watcher.on('error', (err) => {
        this.#log.warn({ err, folder: this.#folder }, 'watching the resource folder failed; polling only');
        watcher.close();
        if (this.#watcher === watcher) this.#watcher = undefined;
      });
      this.#watcher = watcher;
    } catch (err) {
      this.#log.warn({ err, folder: this.#folder }, 'cannot watch the resource folder; polling only');
    }
  }

  #armPoll(): void {
    if (this.#closed) return;
    this.#pollTimer = this.#clock.setTimer(() => {
      void this.#requestScan(false).then(() => {
        this.#watch();
        this.#armPoll();
      });
    }, this.#pollIntervalMs);
  }

  /** Debounces file events: reads once they pause for debounceMs, or at most 4 debounces late. */
  #onFileEvent(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    if (this.#debounceTimer !== undefined) {
      if (now - this.#debounceSince >= 4 * this.#debounceMs) return;
      this.#debounceTimer.cancel();
    } else {
      this.#debounceSince = now;
    }
    this.#debounceTimer = this.#clock.setTimer(() => {
      this.#debounceTimer = undefined;
      void this.#requestScan(true);
    }, this.#debounceMs);
  }

  /** Runs one scan at a time; a request during a scan runs another after it. Never rejects. */
  #requestScan(full: boolean): Promise<void> {
    this.#scanWanted = true;
    this.#fullScanWanted ||= full;
    this.#scanning ??= this.#drain();
    return this.#scanning;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#scanWanted && !this.#closed) {
        const full = this.#fullScanWanted;
        this.#scanWanted = false;
        this.#fullScanWanted = false;
        try {
          await this.#scan(full);
        } catch (err) {
          this.#log.error({ err, folder: this.#folder }, 'reading the resource folder failed');
        }
      }
    } finally {
      this.#scanning = undefined;
    }
  }

  /** Reads the folder (every file when `full`, else only files whose stat changed) and applies it. */
  async #scan(full: boolean): Promise<void> {
    let names: string[];
    try {
      const entries = await readdir(this.#folder, { withFileTypes: true });
      names = entries
        .filter((e) => !e.name.startsWith('.') && RESOURCE_FILE.test(e.name) && (e.isFile() || e.isSymbolicLink()))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if (!this.#folderFailing) {
        const error = new ResourceFolderError(this.#folder, `resource folder ${this.#folder} cannot be read`, {
          cause: err,
        });
        this.#log.warn({ err: error }, 'resource folder unreadable; serving what was read last');
      }
      this.#folderFailing = true;
      return;
    }
    if (this.#folderFailing) this.#log.info({ folder: this.#folder }, 'resource folder readable again');
    this.#folderFailing = false;

    let changed = names.length !== this.#files.size || names.some((name) => !this.#files.has(name));
    const next = new Map<string, FileState>();
    for (const name of names) {
      if (this.#closed) return;
      const previous = this.#files.get(name);
      const state = await this.#readFile(path.join(this.#folder, name), previous, full);
      if (state === undefined) {
        changed ||= previous !== undefined;
        continue;
      }
      next.set(name, state);
      changed ||= state.text !== previous?.text || state.text === undefined;
    }
    if (this.#closed) return;
    this.#files = next;
    if (changed) this.#rebuild();
  }

  /** The new state of one file: `previous` when unchanged, undefined when it is gone. */
  async #readFile(file: string, previous: FileState | undefined, full: boolean): Promise<FileState | undefined> {
    let signature: string;
    try {
      const info = await stat(file);
      if (!info.isFile()) return undefined;
      signature = `${info.mtimeMs}:${info.size}:${info.ino}`;
      if (!full && previous?.signature === signature) return previous;
      if (info.size > this.#maxFileBytes) {
        const problem = `the file is larger than ${this.#maxFileBytes} bytes (${info.size}); it is not read`;
        return unreadable(file, signature, problem);
      }
    } catch (err) {
      if (isNotFound(err)) return undefined;
      return unreadable(file, '', `the file cannot be read: ${reason(err)}`);
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      return unreadable(file, signature, `the file cannot be read: ${reason(err)}`);
    }
    if (previous !== undefined && previous.text === text) {
      return previous.signature === signature ? previous : { ...previous, signature };
    }
    return { signature, text, parsed: parseResourceDocuments(text, file) };
  }

  /** Makes the caches hold what the files say, and updates the errors. */
  #rebuild(): void {
    const desired = new Map<ResourceKind, CachedObject[]>(RESOURCE_KIND_NAMES.map((kind) => [kind, []]));
    const first = new Map<string, DocumentObject>();
    const errors: ResourceDocumentError[] = [];
    for (const state of this.#files.values()) {
      errors.push(...state.parsed.errors);
      for (const item of state.parsed.objects) {
        const { namespace, name } = item.object.metadata;
        const key = `${item.kind} ${namespace}/${name}`;
        const earlier = first.get(key);
        if (earlier !== undefined) {
          const location = {
            file: item.file,
            line: item.line,
            column: item.column,
            field: `${item.path}metadata.name`,
          };
          const problem = `${key} is already defined at ${earlier.file}:${earlier.line}; this one is ignored`;
          errors.push(new ResourceDocumentError(location, problem));
          continue;
        }
        first.set(key, item);
        desired.get(item.kind)?.push(item.object);
      }
    }
    for (const kind of RESOURCE_KIND_NAMES) {
      if (this.#closed) return;
      this.#stores[kind].replaceAll(desired.get(kind) ?? []);
    }
    this.#reportErrors(errors);
  }

  #reportErrors(errors: readonly ResourceDocumentError[]): void {
    const before = new Set(this.#errors.map((e) => e.message));
    const now = new Set(errors.map((e) => e.message));
    for (const err of errors) {
      if (!before.has(err.message)) this.#log.warn({ err }, 'resource document skipped');
    }
    for (const err of this.#errors) {
      if (!now.has(err.message)) {
        this.#log.info({ file: err.file, line: err.line, field: err.field }, 'resource document problem cleared');
      }
    }
    this.#errors = Object.freeze([...errors]);
  }
}

function unreadable(file: string, signature: string, problem: string): FileState {
  const error = new ResourceDocumentError({ file, line: 1, column: 1, field: undefined }, problem);
  return { signature, text: undefined, parsed: { objects: [], errors: [error] } };
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'ENOENT';
}

function reason(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.message : String(err);
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`FileResourceSource: ${name} must be > 0, got ${value}`);
  return value;
}
