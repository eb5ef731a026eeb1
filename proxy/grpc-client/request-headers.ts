// The HEADERS of a gRPC request (grpc/doc/PROTOCOL-HTTP2.md, "Requests") and the grpc-timeout
// encoding.
//
// Contract: pure. The request names no compression but identity (grpc-accept-encoding), asks for
// trailers (te), and carries grpc-timeout only when the call has a deadline.

import type { OutgoingHttpHeaders } from 'node:http2';
import { VERSION } from '../../src/version.ts';

export const USER_AGENT = `grpc-node-nodemesh/${VERSION}`;

export interface RequestHeadersSpec {
  readonly path: string;
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  /** Time left for the call, in ms; no grpc-timeout when undefined. */
  readonly timeoutMs?: number;
}

export function requestHeaders(spec: RequestHeadersSpec): OutgoingHttpHeaders {
  return {
    ':method': 'POST',
    ':scheme': spec.scheme,
    ':path': spec.path,
    ':authority': spec.authority,
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-accept-encoding': 'identity',
    'user-agent': USER_AGENT,
    ...(spec.timeoutMs === undefined ? {} : { 'grpc-timeout': encodeGrpcTimeout(spec.timeoutMs) }),
  };
}

/**
 * grpc-timeout: at most 8 digits and a unit. Milliseconds while they fit, else seconds, minutes,
 * hours (rounded up, so the server never sees a shorter deadline than ours); at least 1 ms.
 */
export function encodeGrpcTimeout(ms: number): string {
  const units: readonly [string, number][] = [
    ['m', 1],
    ['S', 1000],
    ['M', 60_000],
    ['H', 3_600_000],
  ];
  const positive = Math.max(1, Math.ceil(ms));
  for (const [unit, size] of units) {
    const value = Math.ceil(positive / size);
    if (value <= 99_999_999) return `${value}${unit}`;
  }
  return '99999999H';
}
