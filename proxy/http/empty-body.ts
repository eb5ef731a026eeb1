// The body of a request that has none, for code that wants a stream (the HTTP/1 server gives such
// requests no body stream at all).

import { Readable } from 'node:stream';

/** A new, already ended byte stream. */
export function emptyBody(): Readable {
  const body = new Readable({ read: () => undefined });
  body.push(null);
  return body;
}
