// A redirect the proxy answers itself (Gateway API RequestRedirect): the status and Location,
// no body, on whichever kind of downstream the request came.
//
// Contract: writes the whole response at once; the request body, if any, is left unread (an
// HTTP/1 server discards it, an HTTP/2 stream ends). Extra headers (response header edits) are
// added as given.

import type { OutgoingHttpHeaders } from 'node:http';
import type { Downstream } from './stack.ts';

export function respondRedirect(
  down: Downstream,
  status: number,
  location: string,
  headers: OutgoingHttpHeaders = {},
): void {
  switch (down.kind) {
    case 'h1':
      down.res.writeHead(status, { ...headers, location, 'content-length': '0' });
      down.res.end();
      return;
    case 'h2':
      down.stream.respond(status, { ...headers, location }, true);
      return;
    case 'upgrade':
      down.socket.end(
        `HTTP/1.1 ${status} Redirect\r\nlocation: ${location}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
  }
}
