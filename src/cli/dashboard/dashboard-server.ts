// The dashboard's HTTP server: the built page from dashboard/dist and GET /api/snapshot, the
// collector's last snapshot as JSON.
//
// Contract: serves only files inside `dist` (no path escapes), GET and HEAD only. The page may load
// nothing from elsewhere (Content-Security-Policy 'self'). /api/snapshot answers 503 until the
// first round has ended. listen() resolves with the bound address; close() ends every connection.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { DashboardSnapshot } from './dashboard-api.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface DashboardServerDeps {
  readonly dist: string;
  readonly snapshot: () => DashboardSnapshot | undefined;
}

export class DashboardServer {
  readonly #deps: DashboardServerDeps;
  readonly #server: http.Server;

  constructor(deps: DashboardServerDeps) {
    this.#deps = deps;
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (url.pathname === '/api/snapshot') {
      const snapshot = this.#deps.snapshot();
      const body = JSON.stringify(snapshot ?? { error: 'the first round of scrapes has not finished yet' });
      res.writeHead(snapshot === undefined ? 503 : 200, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...SECURITY_HEADERS,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    let relative: string;
    try {
      relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('the path is not valid percent-encoding\n');
      return;
    }
    const file = path.resolve(this.#deps.dist, relative);
    if (!file.startsWith(this.#deps.dist + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
