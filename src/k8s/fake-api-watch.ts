// The fake API server's watch streams: newline-delimited JSON events over a chunked response,
// replayed from a resourceVersion and then live, with bookmarks, 410 Gone and clean closes.
//
// Contract: headers are flushed as soon as a watch is accepted (the client's fetch resolves only
// then). A watch from resourceVersion N first gets every logged change after N, then live ones;
// from no resourceVersion (or "0") it first gets an ADDED event per existing object. A watch
// from an expired resourceVersion is answered 410, either as an ERROR event followed by a clean
// close (what a real API server does) or as an HTTP 410 status. With selectors, an object that
// stops matching is sent as DELETED and one that starts matching as ADDED, as the real watch
// cache does. `timeoutSeconds` closes the stream cleanly when it runs out.

import type { ServerResponse } from 'node:http';
import { apiVersionOf, resourceKey, type FakeObject, type FakeResource } from './fake-api-resources.ts';
import type { FakeObjectStore, ObjectMatcher, StoredEvent } from './fake-api-store.ts';
import { sendStatus, statusObject } from './fake-api-status.ts';

/** How a watch from an expired resourceVersion is answered. */
export type ExpiredAnswer = 'error-event' | 'http-status';

/** What a watch request asked for, after parsing. */
export interface WatchSpec {
  readonly resource: FakeResource;
  readonly namespace: string | undefined;
  readonly matches: ObjectMatcher;
  /** The `resourceVersion` query parameter as given (null when absent). */
  readonly resourceVersion: string | null;
  readonly allowBookmarks: boolean;
  readonly timeoutSeconds: number | undefined;
}

type WireType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

interface OpenWatch {
  readonly spec: WatchSpec;
  readonly res: ServerResponse;
}

export class WatchHub {
  readonly #store: FakeObjectStore;
  readonly #open = new Set<OpenWatch>();
  readonly #unsubscribe: () => void;

  constructor(store: FakeObjectStore) {
    this.#store = store;
    this.#unsubscribe = store.subscribe((event) => {
      for (const watch of this.#open) this.#deliver(watch, event);
    });
  }

  /** How many watch streams are open now. */
  get openCount(): number {
    return this.#open.size;
  }

  /** Answers a watch request on `res`. */
  open(spec: WatchSpec, res: ServerResponse, expiredAnswer: ExpiredAnswer): void {
    const from = parseResourceVersion(spec.resourceVersion);
    if (from === 'invalid') {
      sendStatus(res, 400, `invalid resourceVersion ${JSON.stringify(spec.resourceVersion)}`);
      return;
    }
    if (from !== undefined && from > 0 && this.#store.isExpired(from)) {
      const message = `too old resource version: ${from} (${this.#store.resourceVersion})`;
      if (expiredAnswer === 'http-status') {
        sendStatus(res, 410, message);
        return;
      }
      startStream(res);
      writeEvent(res, 'ERROR', statusObject(410, message));
      res.end();
      return;
    }

    startStream(res);
    const watch: OpenWatch = { spec, res };
    this.#open.add(watch);
    let timer: NodeJS.Timeout | undefined;
    if (spec.timeoutSeconds !== undefined) {
      timer = setTimeout(() => res.end(), spec.timeoutSeconds * 1000);
      timer.unref();
    }
    res.on('close', () => {
      clearTimeout(timer);
      this.#open.delete(watch);
    });

    if (from === undefined || from === 0) {
      for (const object of this.#store.list(spec.resource, spec.namespace, spec.matches)) {
        writeEvent(res, 'ADDED', object);
      }
    } else {
      for (const event of this.#store.eventsAfter(spec.resource, from)) this.#deliver(watch, event);
    }
  }

  /** Sends a BOOKMARK at the current resourceVersion to every watch that allowed bookmarks. */
  bookmark(): number {
    let sent = 0;
    for (const { spec, res } of this.#open) {
      if (!spec.allowBookmarks) continue;
      const object = {
        apiVersion: apiVersionOf(spec.resource),
        kind: spec.resource.kind,
        metadata: { resourceVersion: String(this.#store.resourceVersion) },
      };
      writeEvent(res, 'BOOKMARK', object);
      sent += 1;
    }
    return sent;
  }

  /** Ends every open watch cleanly (the client sees the stream finish, not an error). */
  closeAll(): number {
    const count = this.#open.size;
    for (const { res } of this.#open) res.end();
    this.#open.clear();
    return count;
  }

  /** Stops listening to the store and ends every open watch. */
  dispose(): void {
    this.#unsubscribe();
    this.closeAll();
  }

  #deliver(watch: OpenWatch, event: StoredEvent): void {
    const { spec, res } = watch;
    if (resourceKey(event.resource) !== resourceKey(spec.resource)) return;
    const inScope = (o: FakeObject | undefined): boolean =>
      o !== undefined && (spec.namespace === undefined || o.metadata.namespace === spec.namespace) && spec.matches(o);
    const type = projectedType(event, inScope(event.object), inScope(event.previous));
    if (type !== undefined) writeEvent(res, type, event.object);
  }
}

/** The event type a selecting watch sees for a change, or undefined when it sees nothing. */
function projectedType(event: StoredEvent, matchesNow: boolean, matchedBefore: boolean): WireType | undefined {
  switch (event.type) {
    case 'ADDED':
      return matchesNow ? 'ADDED' : undefined;
    case 'DELETED':
      return matchedBefore ? 'DELETED' : undefined;
    case 'MODIFIED':
      if (matchesNow) return matchedBefore ? 'MODIFIED' : 'ADDED';
      return matchedBefore ? 'DELETED' : undefined;
  }
}

function parseResourceVersion(value: string | null): number | undefined | 'invalid' {
  if (value === null || value === '') return undefined;
  return /^\d{1,15}$/.test(value) ? Number(value) : 'invalid';
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

function writeEvent(res: ServerResponse, type: WireType, object: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(`${JSON.stringify({ type, object })}\n`);
}
