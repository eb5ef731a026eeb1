// The admin HTTP server every nodemesh process runs: /metrics, /live, /ready, plus routes a
// component adds (the proxy's /shutdown, for example).
//
// Contract: start() listens and resolves with the bound address; close() stops accepting and ends
// idle keep-alive connections. Readiness is asked on every /ready request and never cached, so it
// tells the truth at that moment. Handlers must not throw; a route that does gets a 500.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from '../metrics/index.ts';
import type { SocketAddress } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { nodeHttp } from '../net/index.ts';

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

export type AdminRoute = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface AdminServerOptions {
  readonly address: SocketAddress;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
  readonly log: Logger;
  /** Extra routes by path (exact match), e.g. { '/shutdown': handler }. */
  readonly routes?: Readonly<Record<string, AdminRoute>>;
}

export class AdminServer {
  readonly #opts: AdminServerOptions;
  #server: Server | undefined;

  constructor(opts: AdminServerOptions) {
    this.#opts = opts;
  }

  async start(): Promise<SocketAddress> {
    const server = nodeHttp.createServer((req, res) => void this.#handle(req, res));
    server.keepAliveTimeout = 5000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.address.port, this.#opts.address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as AddressInfo;
    return { host: bound.address, port: bound.port };
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      switch (path) {
        case '/metrics': {
          if (!isRead(req, res)) return;
          const body = await this.#opts.registry.metrics();
          res.writeHead(200, { 'content-type': this.#opts.registry.contentType }).end(body);
          return;
        }
        case '/live':
          if (!isRead(req, res)) return;
          res.writeHead(200, { 'content-type': 'text/plain' }).end('live\n');
          return;
        case '/ready': {
          if (!isRead(req, res)) return;
          const readiness = this.#opts.readiness();
          if (readiness.ready) res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
          else res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${readiness.reason}\n`);
          return;
        }
        default: {
          const route = this.#opts.routes?.[path];
          if (route === undefined) {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
            return;
          }
          await route(req, res);
        }
      }
    } catch (err) {
      this.#opts.log.error({ err, path }, 'admin request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    }
  }
}

function isRead(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
  return false;
}
