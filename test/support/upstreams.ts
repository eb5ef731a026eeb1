// Test support: small upstream servers on 127.0.0.1 port 0 — an HTTP/1 echo, an h2c echo, a TCP
// echo, a WebSocket echo and a server-speaks-first TCP server. Each returns its port and a close().

import { once } from 'node:events';
import { createServer as createH1, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2 } from 'node:http2';
import { createServer as createTcp, type AddressInfo, type Server as TcpServer } from 'node:net';
import { WebSocketServer } from 'ws';

export interface Upstream {
  readonly port: number;
  close(): Promise<void>;
}

/** Answers JSON describing the request (method, url, headers, body length); streams /bytes/N. */
export async function h1Echo(): Promise<Upstream> {
  const server = createH1((req, res) => void handle(req, res));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/bytes/')) {
      let left = Number(url.pathname.slice(7));
      const chunk = Buffer.alloc(64 * 1024, 120);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left) });
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) await once(res, 'drain');
        left -= n;
      }
      res.end();
      return;
    }
    if (url.pathname === '/status') {
      res.writeHead(Number(url.searchParams.get('code') ?? 200)).end();
      return;
    }
    if (url.pathname === '/reset') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    if (url.pathname === '/trailers') {
      res.writeHead(200, { trailer: 'x-checksum' });
      res.write('body');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end();
      return;
    }
    let size = 0;
    for await (const chunk of req) size += (chunk as Buffer).length;
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'h1' });
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        bodyBytes: size,
        httpVersion: req.httpVersion,
      }),
    );
  };
  return listen(server);
}

/** An h2c server answering JSON like h1Echo, with a trailer. */
export async function h2Echo(): Promise<Upstream> {
  const server = createH2();
  server.on('stream', (stream, headers) => {
    let size = 0;
    stream.on('data', (d: Buffer) => (size += d.length));
    stream.on('end', () => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/json', 'x-upstream': 'h2' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-trailer': 'yes' }));
      stream.end(
        JSON.stringify({
          method: headers[':method'],
          path: headers[':path'],
          authority: headers[':authority'],
          bodyBytes: size,
        }),
      );
    });
  });
  return listen(server);
}

export async function tcpEcho(): Promise<Upstream> {
  const server = createTcp({ allowHalfOpen: true }, (socket) => {
    socket.pipe(socket);
    socket.on('error', () => undefined);
  });
  return listen(server);
}

/** Speaks first: sends a banner as soon as a client connects, then echoes. */
export async function serverSpeaksFirst(banner: string): Promise<Upstream> {
  const server = createTcp((socket) => {
    socket.write(banner);
    socket.pipe(socket);
    socket.on('error', () => undefined);
  });
  return listen(server);
}

export async function wsEcho(): Promise<Upstream> {
  const http = createH1((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const up = await listen(http);
  return { port: up.port, close: async () => (wss.close(), up.close()) };
}

async function listen(
  server: TcpServer | ReturnType<typeof createH1> | ReturnType<typeof createH2>,
): Promise<Upstream> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
