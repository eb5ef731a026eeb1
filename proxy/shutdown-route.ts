// The admin server's /shutdown route (linkerd.md §4.11): POST from localhost only, 404 unless
// NODEMESH_PROXY_SHUTDOWN_ENDPOINT_ENABLED=true; a 202 answer, then the proxy drains.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminRoute } from '../src/admin/index.ts';
import { plainAddress } from './transport/original-dst.ts';

export function shutdownRoute(enabled: boolean, onShutdown: () => void): AdminRoute {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!enabled) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const addr = plainAddress(req.socket.remoteAddress ?? '');
    if (addr !== '127.0.0.1' && addr !== '::1') {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('shutdown is only accepted from localhost\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('use POST\n');
      return;
    }
    res.writeHead(202, { 'content-type': 'text/plain' }).end('shutting down\n');
    onShutdown();
  };
}
