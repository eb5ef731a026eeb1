// Forwarding one HTTP/1.1 request to an endpoint over a pooled keep-alive connection, streaming
// both bodies without buffering them, passing 100-continue and trailers through.
//
// Contract: forwardH1 resolves with the response status once the response has been fully written
// to the client, or rejects with ProxyError when the upstream failed (before the response started,
// the caller synthesizes an error; after, the client connection is closed). Never buffers a body.

import { request, type Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { forwardableH1Headers } from './headers.ts';
import { ProxyError, upstreamError } from './proxy-error.ts';

export interface H1Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface H1ForwardOptions {
  readonly agent: Agent;
  readonly connectTimeoutMs: number;
  /** Extra request headers (e.g. l5d-client-id on inbound). */
  readonly addHeaders?: Readonly<Record<string, string>>;
  /** Request headers to drop (e.g. a client-sent l5d-client-id). */
  readonly dropHeaders?: readonly string[];
}

export interface H1Result {
  readonly status: number;
  readonly grpcStatus: string | undefined;
}

export function forwardH1(
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: H1Endpoint,
  opts: H1ForwardOptions,
): Promise<H1Result> {
  const target = `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve, reject) => {
    const headers = forwardableH1Headers(req.headers);
    for (const name of opts.dropHeaders ?? []) delete headers[name];
    Object.assign(headers, opts.addHeaders);
    let connected = false;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (!settled) {
        settled = true;
        clearTimeout(connectTimer);
        fn();
      }
    };
    const upstream = request({
      host: endpoint.host,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers,
      agent: opts.agent,
      setHost: false,
    });
    const connectTimer = setTimeout(() => {
      if (!connected) upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    }, opts.connectTimeoutMs);
    upstream.on('socket', (socket) => {
      const markConnected = (): void => {
        connected = true;
        clearTimeout(connectTimer);
      };
      // A TLS socket (mTLS to a peer proxy) is connected once its handshake is done.
      const tls = (socket as { encrypted?: boolean }).encrypted === true;
      if (!tls && !socket.connecting) markConnected();
      else socket.once(tls ? 'secureConnect' : 'connect', markConnected);
    });
    upstream.on('continue', () => res.writeContinue());
    upstream.on('information', (info) => {
      if (info.statusCode !== 100 && info.statusCode !== 101) res.writeProcessing?.();
    });
    upstream.on('error', (err) => {
      req.unpipe(upstream);
      settle(() => reject(upstreamError(err, target, connected)));
    });
    upstream.on('response', (up: IncomingMessage) => {
      const grpcStatus = headerValue(up.headers['grpc-status']);
      res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardableH1Headers(up.headers) as Record<string, string>);
      up.pipe(res, { end: false });
      up.once('end', () => {
        if (Object.keys(up.trailers).length > 0) res.addTrailers(up.trailers);
        res.end();
        settle(() =>
          resolve({ status: up.statusCode ?? 502, grpcStatus: grpcStatus ?? headerValue(up.trailers['grpc-status']) }),
        );
      });
      up.once('error', (err) => settle(() => reject(upstreamError(err, target, true))));
      up.once('aborted', () =>
        settle(() => reject(new ProxyError('upstream-reset', `${target} aborted the response mid-stream`))),
      );
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
