// The body of a request that has none, for code that wants a stream (the HTTP/1 server gives such
// requests no body stream at all).
//
// Contract: emptyBody() is a new, already ended byte stream; isEmptyBody() recognises one before
// anything has read it (a Readable reports readableEnded only once its 'end' has been emitted).

import { Readable } from 'node:stream';

const EMPTY = new WeakSet<Readable>();

export function emptyBody(): Readable {
  const body = new Readable({ read: () => undefined });
  body.push(null);
  EMPTY.add(body);
  return body;
}

export function isEmptyBody(body: Readable): boolean {
  return EMPTY.has(body);
}
