// HTTP/2 frame serialisation (RFC 9113 §4.1, §6): functions that return bytes ready to write to the
// socket. The counterpart of frame-parser.ts.
//
// Contract:
// - Every function returns new Buffers the caller owns (small ones come from Node's shared pool, as
//   `Buffer.allocUnsafe` gives them), except `SETTINGS_ACK`, a shared constant never to be modified,
//   and the payload slices `dataFrames` returns, which are views of the caller's payload.
// - Nothing here knows flow control or stream states: the caller sizes DATA to the windows and
//   passes the peer's SETTINGS_MAX_FRAME_SIZE.
// - Arguments outside what the wire can carry (a length over 2^24-1, a stream id over 2^31-1, a
//   window increment of 0, a PING payload not 8 bytes) throw RangeError: they are our bugs, not the
//   peer's.

import {
  FLAG_ACK,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FRAME_CONTINUATION,
  FRAME_DATA,
  FRAME_GOAWAY,
  FRAME_HEADER_LENGTH,
  FRAME_HEADERS,
  FRAME_PING,
  FRAME_RST_STREAM,
  FRAME_SETTINGS,
  FRAME_WINDOW_UPDATE,
  MAX_MAX_FRAME_SIZE,
  MAX_STREAM_ID,
  MAX_WINDOW_SIZE,
  MIN_MAX_FRAME_SIZE,
  PING_LENGTH,
} from './frame-types.ts';
import { Buffer } from 'node:buffer';

/** Blocks up to this long are copied octet by octet (see headersFrames). */
const SMALL_COPY = 256;

/** Writes a 9-byte frame header at `offset`; returns the offset after it. */
export function writeFrameHeader(
  target: Buffer,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): number {
  if (!(length >= 0 && length <= MAX_MAX_FRAME_SIZE)) throw new RangeError(`frame length ${length} is out of range`);
  if (!(streamId >= 0 && streamId <= MAX_STREAM_ID)) throw new RangeError(`stream id ${streamId} is out of range`);
  target[offset] = length >>> 16;
  target[offset + 1] = length >>> 8;
  target[offset + 2] = length;
  target[offset + 3] = type;
  target[offset + 4] = flags;
  target[offset + 5] = streamId >>> 24;
  target[offset + 6] = streamId >>> 16;
  target[offset + 7] = streamId >>> 8;
  target[offset + 8] = streamId;
  return offset + FRAME_HEADER_LENGTH;
}

/** A frame header alone, for a payload written as its own buffer (DATA) without a copy. */
export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
  writeFrameHeader(out, 0, length, type, flags, streamId);
  return out;
}

function checkFrameSize(maxFrameSize: number): void {
  if (!(maxFrameSize >= MIN_MAX_FRAME_SIZE && maxFrameSize <= MAX_MAX_FRAME_SIZE)) {
    throw new RangeError(`maxFrameSize ${maxFrameSize} is outside ${MIN_MAX_FRAME_SIZE}…${MAX_MAX_FRAME_SIZE}`);
  }
}

/**
 * A header block (the first `size` octets of `block`) as one HEADERS frame, followed by as many
 * CONTINUATION frames as `maxFrameSize` (the peer's) requires, in one buffer. END_STREAM goes on
 * the HEADERS, END_HEADERS on the last frame.
 */
export function headersFrames(
  streamId: number,
  block: Buffer,
  endStream: boolean,
  maxFrameSize: number,
  size = block.length,
): Buffer {
  checkFrameSize(maxFrameSize);
  const frames = size === 0 ? 1 : Math.ceil(size / maxFrameSize);
  const out = Buffer.allocUnsafe(size + frames * FRAME_HEADER_LENGTH);
  let at = 0;
  let from = 0;
  for (let i = 0; i < frames; i++) {
    const length = Math.min(maxFrameSize, size - from);
    let flags = i === frames - 1 ? FLAG_END_HEADERS : 0;
    if (i === 0 && endStream) flags |= FLAG_END_STREAM;
    at = writeFrameHeader(out, at, length, i === 0 ? FRAME_HEADERS : FRAME_CONTINUATION, flags, streamId);
    if (length <= SMALL_COPY) for (let j = 0; j < length; j++) out[at + j] = block[from + j]!;
    // (Buffer#copy of part of a buffer makes a view of that part first: worth it only when large.)
    else block.copy(out, at, from, from + length);
    at += length;
    from += length;
  }
  return out;
}

/**
 * DATA frames carrying `payload`, as alternating header and payload pieces to write in order (the
 * payload is sliced, never copied), split at `maxFrameSize` (the peer's). END_STREAM goes on the
 * last frame; an empty payload gives one empty DATA frame (header only).
 */
export function dataFrames(streamId: number, payload: Buffer, endStream: boolean, maxFrameSize: number): Buffer[] {
  checkFrameSize(maxFrameSize);
  const size = payload.length;
  const endFlag = endStream ? FLAG_END_STREAM : 0;
  if (size <= maxFrameSize) {
    const header = frameHeader(size, FRAME_DATA, endFlag, streamId);
    return size === 0 ? [header] : [header, payload];
  }
  const frames = Math.ceil(size / maxFrameSize);
  const headers = Buffer.allocUnsafe(frames * FRAME_HEADER_LENGTH);
  const out: Buffer[] = [];
  for (let i = 0, from = 0; i < frames; i++, from += maxFrameSize) {
    const length = Math.min(maxFrameSize, size - from);
    const at = i * FRAME_HEADER_LENGTH;
    writeFrameHeader(headers, at, length, FRAME_DATA, i === frames - 1 ? endFlag : 0, streamId);
    out.push(headers.subarray(at, at + FRAME_HEADER_LENGTH), payload.subarray(from, from + length));
  }
  return out;
}

/** A SETTINGS frame from a flat [id, value, id, value, …] list. */
export function settingsFrame(settings: readonly number[]): Buffer {
  if (settings.length % 2 !== 0) throw new RangeError('settings must be [id, value] pairs');
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 3 * settings.length);
  let at = writeFrameHeader(out, 0, 3 * settings.length, FRAME_SETTINGS, 0, 0);
  for (let i = 0; i < settings.length; i += 2) {
    at = out.writeUInt16BE(settings[i]!, at);
    at = out.writeUInt32BE(settings[i + 1]!, at);
  }
  return out;
}

/** The SETTINGS frame acknowledging the peer's SETTINGS: shared, never modify it. */
export const SETTINGS_ACK: Buffer = Buffer.from([0, 0, 0, FRAME_SETTINGS, FLAG_ACK, 0, 0, 0, 0]);

/** A PING frame, or its acknowledgement, with 8 bytes of opaque data. */
export function pingFrame(opaque: Buffer, ack: boolean): Buffer {
  if (opaque.length !== PING_LENGTH) throw new RangeError(`PING data is ${opaque.length} bytes, not 8`);
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + PING_LENGTH);
  writeFrameHeader(out, 0, PING_LENGTH, FRAME_PING, ack ? FLAG_ACK : 0, 0);
  opaque.copy(out, FRAME_HEADER_LENGTH);
  return out;
}

/** RST_STREAM(code) for a stream. */
export function rstStreamFrame(streamId: number, code: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 4);
  writeFrameHeader(out, 0, 4, FRAME_RST_STREAM, 0, streamId);
  out.writeUInt32BE(code, FRAME_HEADER_LENGTH);
  return out;
}

/** WINDOW_UPDATE for a stream, or for the connection with stream id 0; increment in 1…2^31-1. */
export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  if (!(increment >= 1 && increment <= MAX_WINDOW_SIZE)) {
    throw new RangeError(`window increment ${increment} is outside 1…2^31-1`);
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 4);
  writeFrameHeader(out, 0, 4, FRAME_WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment, FRAME_HEADER_LENGTH);
  return out;
}

/** GOAWAY with the last stream id we processed, an error code, and optional debug data. */
export function goawayFrame(lastStreamId: number, code: number, debug?: Buffer): Buffer {
  if (!(lastStreamId >= 0 && lastStreamId <= MAX_STREAM_ID)) {
    throw new RangeError(`last stream id ${lastStreamId} is out of range`);
  }
  const debugLength = debug === undefined ? 0 : debug.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 8 + debugLength);
  writeFrameHeader(out, 0, 8 + debugLength, FRAME_GOAWAY, 0, 0);
  out.writeUInt32BE(lastStreamId, FRAME_HEADER_LENGTH);
  out.writeUInt32BE(code, FRAME_HEADER_LENGTH + 4);
  if (debug !== undefined) debug.copy(out, FRAME_HEADER_LENGTH + 8);
  return out;
}
