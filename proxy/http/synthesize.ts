// The edge of the HTTP proxy: turns a failure into the response Linkerd's proxy would synthesize
// (linkerd.md §4.10), with `l5d-proxy-error` naming the reason. gRPC requests get a trailers-only
// response with grpc-status (UNAVAILABLE, or DEADLINE_EXCEEDED for timeouts, UNIMPLEMENTED when no
// Gateway API route matches) rather than a page.

import { H2_ERROR } from '../h2/index.ts';
import type { H1ServerResponse } from './h1-server/server.ts';
import type { H2ServerExchange } from './h2-server-exchange.ts';
import { ProxyError } from './proxy-error.ts';
import { Buffer } from 'node:buffer';

export interface SynthesizedError {
  readonly status: number;
  readonly grpcStatus: number;
  readonly message: string;
}

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_INTERNAL = 13;
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNIMPLEMENTED = 12;

export function synthesize(err: unknown): SynthesizedError {
  if (err instanceof ProxyError) {
    switch (err.failure) {
      case 'connect-timeout':
        return { status: 504, grpcStatus: GRPC_DEADLINE_EXCEEDED, message: err.message };
      case 'connect-failed':
      case 'upstream-reset':
      case 'loop':
        return { status: 502, grpcStatus: GRPC_UNAVAILABLE, message: err.message };
      case 'no-target':
        return { status: 400, grpcStatus: GRPC_INVALID_ARGUMENT, message: err.message };
      case 'no-endpoints':
        return { status: 503, grpcStatus: GRPC_UNAVAILABLE, message: err.message };
      case 'forbidden':
        return { status: 403, grpcStatus: GRPC_PERMISSION_DENIED, message: err.message };
      case 'response-timeout':
        return { status: 504, grpcStatus: GRPC_DEADLINE_EXCEEDED, message: err.message };
      case 'fail-fast':
        return { status: 504, grpcStatus: GRPC_UNAVAILABLE, message: err.message };
      case 'load-shed':
        return { status: 503, grpcStatus: GRPC_UNAVAILABLE, message: err.message };
      case 'identity-required':
        return { status: 502, grpcStatus: GRPC_UNAVAILABLE, message: err.message };
      case 'no-route':
        return { status: 404, grpcStatus: GRPC_UNIMPLEMENTED, message: err.message };
      case 'route-unsupported':
        return { status: 500, grpcStatus: GRPC_INTERNAL, message: err.message };
      case 'no-backend':
        return { status: 500, grpcStatus: GRPC_UNAVAILABLE, message: err.message };
    }
  }
  return { status: 502, grpcStatus: GRPC_INTERNAL, message: 'unexpected proxy error' };
}

export function isGrpc(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value !== undefined && value.startsWith('application/grpc');
}

/** Header values must be visible ASCII; messages are trimmed to that. */
function headerSafe(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, ' ').slice(0, 512);
}

/** Answers an HTTP/1 request with a synthesized error, or closes the connection if the response started. */
export function respondH1Error(res: H1ServerResponse, err: unknown, grpc: boolean): SynthesizedError {
  const e = synthesize(err);
  if (res.headersSent) {
    res.destroy();
    return e;
  }
  const message = headerSafe(e.message);
  if (grpc) {
    res.writeHead(200, {
      'content-type': 'application/grpc',
      'grpc-status': String(e.grpcStatus),
      'grpc-message': encodeURIComponent(message),
      'l5d-proxy-error': message,
    });
    res.end();
  } else {
    res.writeHead(e.status, { 'content-type': 'text/plain', 'l5d-proxy-error': message, connection: 'close' });
    res.end(`${message}\n`);
  }
  return e;
}

/** Answers an HTTP/2 stream with a synthesized error; mid-response, ends it (gRPC: with trailers). */
export function respondH2Error(stream: H2ServerExchange, err: unknown, grpc: boolean): SynthesizedError {
  const e = synthesize(err);
  if (stream.closed) return e;
  const message = headerSafe(e.message);
  if (stream.headersSent) {
    stream.resetStream(H2_ERROR.INTERNAL_ERROR);
    return e;
  }
  if (grpc) {
    stream.respond(
      200,
      {
        'content-type': 'application/grpc',
        'grpc-status': String(e.grpcStatus),
        'grpc-message': encodeURIComponent(message),
        'l5d-proxy-error': message,
      },
      true,
    );
  } else {
    stream.respond(e.status, { 'content-type': 'text/plain', 'l5d-proxy-error': message }, false);
    stream.end(Buffer.from(`${message}\n`, 'latin1'));
  }
  return e;
}
