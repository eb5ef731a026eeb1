// HTTP/2 error codes (RFC 9113 §7) and the two errors the proxy's own HTTP/2 implementation
// raises: a connection error (the connection ends with GOAWAY carrying the code) and a header list
// larger than we advertised (only that stream is refused; the HPACK state stays in sync).
//
// Contract: `h2Code` is the numeric RFC 9113 error code to put on the wire; `code` is the stable
// MeshError code for logs and tests. Stream errors that leave the connection usable are not
// exceptions: the frame parser and the connection report them through their sinks.

import { MeshError } from '../../src/errors/index.ts';

export const H2_ERROR = Object.freeze({
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
});

export type H2ErrorName = keyof typeof H2_ERROR;

const NAMES: readonly string[] = Object.keys(H2_ERROR);

/** The RFC name of a numeric error code (`UNKNOWN_0x…` for codes outside the registry). */
export function h2ErrorName(code: number): string {
  return NAMES[code] ?? `UNKNOWN_0x${code.toString(16)}`;
}

/** A connection error: the peer broke the protocol and the connection must end with GOAWAY(h2Code). */
export class H2ConnectionError extends MeshError {
  readonly h2Code: number;

  constructor(name: H2ErrorName, message: string, options: { readonly cause?: unknown } = {}) {
    super('MESH_ERR_H2_PROTOCOL', message, { ...options, fields: { h2Error: name } });
    this.h2Code = H2_ERROR[name];
  }
}

/** A decoded header list over the limit we advertised; the HPACK tables were kept in sync. */
export class H2HeaderListTooLarge extends MeshError {
  readonly size: number;
  readonly limit: number;

  constructor(size: number, limit: number) {
    super(
      'MESH_ERR_H2_HEADER_LIST_TOO_LARGE',
      `header list of at least ${size} bytes is larger than the ${limit} bytes allowed (SETTINGS_MAX_HEADER_LIST_SIZE)`,
      { fields: { size, limit } },
    );
    this.size = size;
    this.limit = limit;
  }
}

/** A stream reset for a problem of its own (malformed message, flow control, length mismatch); the connection goes on. */
export class H2StreamError extends MeshError {
  readonly h2Code: number;

  constructor(code: number, message: string) {
    super('MESH_ERR_H2_STREAM', `${message} (${h2ErrorName(code)})`, { fields: { h2Error: h2ErrorName(code) } });
    this.h2Code = code;
  }
}
