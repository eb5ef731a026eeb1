// HTTP/2 wire constants (RFC 9113 §3.4, §4, §6, §6.5.2): frame type numbers, flag bits, SETTINGS
// identifiers, the client connection preface, and the protocol's default and limit values.
//
// Contract: plain numeric constants (no enum, no lookup object on the hot path) so the frame parser
// and writer compare and combine them as small integers. Values are the RFC's; nothing here is
// nodemesh policy except where a comment says so.

import { Buffer } from 'node:buffer';

// Frame types (RFC 9113 §6; §11.2 registry).
export const FRAME_DATA = 0x0;
export const FRAME_HEADERS = 0x1;
export const FRAME_PRIORITY = 0x2;
export const FRAME_RST_STREAM = 0x3;
export const FRAME_SETTINGS = 0x4;
export const FRAME_PUSH_PROMISE = 0x5;
export const FRAME_PING = 0x6;
export const FRAME_GOAWAY = 0x7;
export const FRAME_WINDOW_UPDATE = 0x8;
export const FRAME_CONTINUATION = 0x9;

// Flags. Each is defined only for the frame types named; elsewhere a set bit means nothing (§4.1).
/** DATA, HEADERS. */
export const FLAG_END_STREAM = 0x1;
/** SETTINGS, PING. */
export const FLAG_ACK = 0x1;
/** HEADERS, PUSH_PROMISE, CONTINUATION. */
export const FLAG_END_HEADERS = 0x4;
/** DATA, HEADERS, PUSH_PROMISE. */
export const FLAG_PADDED = 0x8;
/** HEADERS. */
export const FLAG_PRIORITY = 0x20;

// SETTINGS identifiers (RFC 9113 §6.5.2; 0x8 RFC 8441; 0x9 RFC 9218).
export const SETTINGS_HEADER_TABLE_SIZE = 0x1;
export const SETTINGS_ENABLE_PUSH = 0x2;
export const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
export const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
export const SETTINGS_MAX_FRAME_SIZE = 0x5;
export const SETTINGS_MAX_HEADER_LIST_SIZE = 0x6;
export const SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x8;
export const SETTINGS_NO_RFC7540_PRIORITIES = 0x9;

/** Bytes of every frame header: length (24 bits), type, flags, R + stream id (31 bits). */
export const FRAME_HEADER_LENGTH = 9;

/** The 24 octets a client sends before its first frame (§3.4): "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n". */
export const CLIENT_PREFACE: Buffer = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Flow-control window of every stream and of the connection before any SETTINGS or WINDOW_UPDATE (§6.9.2). */
export const DEFAULT_INITIAL_WINDOW_SIZE = 65535;
/** The largest flow-control window and window increment: 2^31-1 (§6.9.1). */
export const MAX_WINDOW_SIZE = 0x7fffffff;
/** SETTINGS_MAX_FRAME_SIZE before it is changed, and its smallest legal value (§6.5.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16384;
export const MIN_MAX_FRAME_SIZE = 16384;
/** The largest legal SETTINGS_MAX_FRAME_SIZE: 2^24-1, what the 24-bit length field holds (§6.5.2). */
export const MAX_MAX_FRAME_SIZE = 16777215;
/** SETTINGS_HEADER_TABLE_SIZE before it is changed (§6.5.2). */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;
/** The largest stream identifier: 2^31-1 (§5.1.1). */
export const MAX_STREAM_ID = 0x7fffffff;
/** Bytes of a PING frame's opaque data (§6.7). */
export const PING_LENGTH = 8;
