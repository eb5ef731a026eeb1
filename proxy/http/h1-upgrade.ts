// HTTP/1.1 Upgrade (WebSocket and friends): the request goes upstream with its Upgrade and
// Connection headers; a 101 answer turns the connection into a byte tunnel both ways; any other
// answer is passed back as an ordinary response and the client connection closed.

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { nodeHttp } from '../../src/net/index.ts';
import { forwardableH1Headers } from './headers.ts';
import { upstreamError, type ProxyError } from './proxy-error.ts';

export interface UpgradeResult {
  readonly status: number;
}

/** What an upgrade needs of the client's request. */
export interface UpgradeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export function forwardUpgrade(
  req: UpgradeRequest,
  client: Duplex,
  head: Buffer,
  endpoint: { host: string; port: number },
  opts: {
    connectTimeoutMs: number;
    addHeaders?: Readonly<Record<string, string>>;
    dropHeaders?: readonly string[];
    /** Opens the upstream connection (meshed endpoints: mTLS to the peer proxy). */
    createConnection?: () => Duplex;
  },
): Promise<UpgradeResult> {
  const target = `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve, reject: (err: ProxyError) => void) => {
    const headers = forwardableH1Headers(req.headers, true);
    for (const name of opts.dropHeaders ?? []) delete headers[name];
    Object.assign(headers, opts.addHeaders);
    let connected = false;
    const upstream = nodeHttp.request({
      host: endpoint.host,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers,
      setHost: false,
    });
    const timer = setTimeout(() => {
      if (!connected) upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    }, opts.connectTimeoutMs);
    upstream.on('socket', (s) => {
      const markConnected = (): void => {
        connected = true;
        clearTimeout(timer);
      };
      s.once('connect', markConnected);
      s.once('secureConnect', markConnected);
    });
    upstream.on('error', (err) => {
      clearTimeout(timer);
      reject(upstreamError(err, target, connected));
    });
    upstream.on('upgrade', (res: IncomingMessage, upSocket: Duplex, upHead: Buffer) => {
      clearTimeout(timer);
      const lines = [`HTTP/1.1 ${res.statusCode ?? 101} ${res.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length > 0) client.write(upHead);
      if (head.length > 0) upSocket.write(head);
      upSocket.pipe(client);
      client.pipe(upSocket);
      const done = (): void => {
        upSocket.destroy();
        client.destroy();
      };
      upSocket.once('error', done);
      client.once('error', done);
      upSocket.once('close', () => client.end());
      client.once('close', () => upSocket.end());
      resolve({ status: res.statusCode ?? 101 });
    });
    upstream.on('response', (res: IncomingMessage) => {
      clearTimeout(timer);
      const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const name = (res.rawHeaders[i] ?? '').toLowerCase();
        if (name !== 'connection' && name !== 'transfer-encoding' && name !== 'keep-alive') {
          lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        }
      }
      lines.push('connection: close');
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      res.pipe(client);
      resolve({ status: res.statusCode ?? 502 });
    });
    upstream.end();
  });
}
