// The incremental HTTP/2 frame parser (RFC 9113 §4, §6): bytes in, one synchronous sink call per
// complete frame out, in order, with every per-frame rule of §4.2 and §6 checked.
//
// Contract:
// - `feed(buf)` parses every complete frame in `buf` (after what earlier feeds left incomplete) and
//   calls the sink synchronously before it returns (a sink must not call `feed` itself; it may set
//   `maxFrameSize`, which applies from the next frame header). Between feeds the parser holds only
//   the bytes of one incomplete frame (copied: `buf` may be a read buffer the caller reuses) and,
//   while a header block spans HEADERS + CONTINUATION frames, a copy of the block so far.
// - Buffers passed to the sink are valid only during the call: they may be slices of the caller's
//   `buf`. A sink that keeps one copies it.
// - A connection error (RFC 9113 §5.4.1) is thrown as `H2ConnectionError` from `feed`; so is any
//   error a sink call throws. After either, every further `feed` throws that same error: the
//   caller sends GOAWAY with `h2Code` and closes. Stream errors (§5.4.2) go to `sink.streamError`
//   and parsing goes on.
// - The parser knows nothing of stream states (idle/open/closed), flow-control windows, or HPACK:
//   that is the connection layer's job. It does know the connection preface (option `preface`)
//   and that a header block must be followed only by its CONTINUATION frames.
// - Hot path: the 9-byte header is read with direct byte access, there is no per-frame object, and
//   payloads that are whole in the current input are passed as `subarray` slices, not copies.

import { H2ConnectionError, H2_ERROR, type H2ErrorName } from './errors.ts';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  FLAG_ACK,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FLAG_PADDED,
  FLAG_PRIORITY,
  FRAME_CONTINUATION,
  FRAME_DATA,
  FRAME_GOAWAY,
  FRAME_HEADER_LENGTH,
  FRAME_HEADERS,
  FRAME_PING,
  FRAME_PRIORITY,
  FRAME_PUSH_PROMISE,
  FRAME_RST_STREAM,
  FRAME_SETTINGS,
  FRAME_WINDOW_UPDATE,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW_SIZE,
  MIN_MAX_FRAME_SIZE,
  PING_LENGTH,
  SETTINGS_ENABLE_CONNECT_PROTOCOL,
  SETTINGS_ENABLE_PUSH,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_FRAME_SIZE,
  SETTINGS_NO_RFC7540_PRIORITIES,
} from './frame-types.ts';
import { Buffer } from 'node:buffer';

export interface H2FrameSink {
  /** payload: slice of the input without padding; flowBytes: the frame's whole payload length (padding counts for flow control). */
  data(streamId: number, payload: Buffer, endStream: boolean, flowBytes: number): void;
  /**
   * A complete header block: HEADERS plus any CONTINUATION frames joined; padding and priority
   * fields removed. The block must always be decoded (HPACK state), even for a stream that is
   * closed or reset.
   */
  headers(streamId: number, block: Buffer, endStream: boolean): void;
  rstStream(streamId: number, code: number): void;
  /** settings: flat [id, value, id, value, …] as received (values validated, unknown ids kept); empty for an ACK. */
  settings(ack: boolean, settings: readonly number[]): void;
  ping(ack: boolean, opaque: Buffer): void;
  goaway(lastStreamId: number, code: number, debug: Buffer): void;
  windowUpdate(streamId: number, increment: number): void;
  /**
   * A frame error confined to one stream (RFC 9113 §5.4.2): the connection goes on. For a HEADERS
   * frame whose priority names its own stream, `headers` is called first (the block still has to
   * be decoded) and `streamError` right after it.
   */
  streamError(streamId: number, code: number, message: string): void;
}

export interface H2FrameParserOptions {
  /** SETTINGS_MAX_FRAME_SIZE we advertise (default 16384); larger frames are a FRAME_SIZE_ERROR. */
  readonly maxFrameSize?: number;
  /** Bytes of one HEADERS + CONTINUATION block, encoded (default 80 KiB); more is ENHANCE_YOUR_CALM. */
  readonly maxHeaderBlockSize?: number;
  /** CONTINUATION frames after one HEADERS (default 64); more is ENHANCE_YOUR_CALM. */
  readonly maxContinuationFrames?: number;
  /** Empty CONTINUATION frames in one block (default 4); more is ENHANCE_YOUR_CALM. */
  readonly maxEmptyContinuationFrames?: number;
  /**
   * The peer's connection preface (§3.4) to check before frames: 'client' (we are the server: the
   * 24-octet client preface, then a SETTINGS frame), 'server' (we are the client: a SETTINGS frame
   * first), or 'none' (default: frames from the first byte, nothing required first).
   */
  readonly preface?: 'client' | 'server' | 'none';
}

/** 64 KiB of header list plus a margin: an encoded block is rarely larger than the list it decodes to. */
export const DEFAULT_MAX_HEADER_BLOCK_SIZE = 80 * 1024;
export const DEFAULT_MAX_CONTINUATION_FRAMES = 64;
export const DEFAULT_MAX_EMPTY_CONTINUATION_FRAMES = 4;

const NO_SETTINGS: readonly number[] = Object.freeze([]);
const EMPTY = Buffer.alloc(0);
const FRAME_NAMES: readonly string[] = [
  'DATA',
  'HEADERS',
  'PRIORITY',
  'RST_STREAM',
  'SETTINGS',
  'PUSH_PROMISE',
  'PING',
  'GOAWAY',
  'WINDOW_UPDATE',
  'CONTINUATION',
];

function frameName(type: number): string {
  return FRAME_NAMES[type] ?? `type 0x${type.toString(16)}`;
}

function fail(name: H2ErrorName, message: string, options?: { readonly cause?: unknown }): H2ConnectionError {
  return new H2ConnectionError(name, message, options);
}

function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer`);
  return value;
}

function checkMaxFrameSize(value: number): number {
  if (!Number.isInteger(value) || value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
    throw new RangeError(`maxFrameSize must be an integer in ${MIN_MAX_FRAME_SIZE}…${MAX_MAX_FRAME_SIZE}`);
  }
  return value;
}

export class H2FrameParser {
  readonly #sink: H2FrameSink;
  #maxFrameSize: number;
  readonly #maxHeaderBlockSize: number;
  readonly #maxContinuations: number;
  readonly #maxEmptyContinuations: number;

  /** Client preface octets still expected. */
  #prefaceLeft: number;
  /** The next frame must be a SETTINGS frame without ACK (the peer's preface). */
  #settingsFirst: boolean;

  // The incomplete frame: its header bytes, then (once the header is known) its payload.
  readonly #head = Buffer.alloc(FRAME_HEADER_LENGTH);
  #headHave = 0;
  #length = 0;
  #type = 0;
  #flags = 0;
  #streamId = 0;
  #payload: Buffer | undefined = undefined;
  #payloadHave = 0;

  // The open header block (HEADERS without END_HEADERS); #blockStream 0 = none.
  #blockStream = 0;
  #block: Buffer = EMPTY;
  #blockLength = 0;
  #blockEndStream = false;
  #blockSelfDependent = false;
  #blockContinuations = 0;
  #blockEmpty = 0;

  #failure: Error | undefined = undefined;

  constructor(sink: H2FrameSink, options: H2FrameParserOptions = {}) {
    this.#sink = sink;
    this.#maxFrameSize = checkMaxFrameSize(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
    this.#maxHeaderBlockSize = positiveInteger(
      options.maxHeaderBlockSize,
      DEFAULT_MAX_HEADER_BLOCK_SIZE,
      'maxHeaderBlockSize',
    );
    this.#maxContinuations = positiveInteger(
      options.maxContinuationFrames,
      DEFAULT_MAX_CONTINUATION_FRAMES,
      'maxContinuationFrames',
    );
    this.#maxEmptyContinuations = positiveInteger(
      options.maxEmptyContinuationFrames,
      DEFAULT_MAX_EMPTY_CONTINUATION_FRAMES,
      'maxEmptyContinuationFrames',
    );
    const preface = options.preface ?? 'none';
    this.#prefaceLeft = preface === 'client' ? CLIENT_PREFACE.length : 0;
    this.#settingsFirst = preface !== 'none';
  }

  /** The largest frame payload accepted: raise it once the peer has acknowledged our SETTINGS_MAX_FRAME_SIZE. */
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  set maxFrameSize(value: number) {
    this.#maxFrameSize = checkMaxFrameSize(value);
  }

  /** Parses every complete frame in `buf`, calling the sink for each; throws H2ConnectionError on a connection error. */
  feed(buf: Buffer): void {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      this.#feed(buf);
    } catch (err) {
      this.#failure =
        err instanceof Error ? err : fail('INTERNAL_ERROR', 'a frame sink threw a non-error value', { cause: err });
      throw this.#failure;
    }
  }

  #feed(buf: Buffer): void {
    const end = buf.length;
    let pos = 0;
    if (this.#prefaceLeft > 0) {
      pos = this.#readPreface(buf);
      if (this.#prefaceLeft > 0) return;
    }
    if (this.#headHave > 0) {
      pos = this.#resume(buf, pos);
      if (pos < 0) return;
    }
    while (end - pos >= FRAME_HEADER_LENGTH) {
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      // The reserved bit (the top bit of the stream id) is ignored (§4.1).
      const streamId = ((buf[pos + 5]! & 0x7f) << 24) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 8) | buf[pos + 8]!;
      this.#checkHeader(length, type, flags, streamId);
      const start = pos + FRAME_HEADER_LENGTH;
      if (end - start < length) {
        this.#hold(length, type, flags, streamId);
        const payload = Buffer.allocUnsafe(length);
        buf.copy(payload, 0, start, end);
        this.#payload = payload;
        this.#payloadHave = end - start;
        return;
      }
      pos = start + length;
      this.#frame(type, flags, streamId, buf, start, length);
    }
    if (pos < end) {
      buf.copy(this.#head, 0, pos, end);
      this.#headHave = end - pos;
    }
  }

  #readPreface(buf: Buffer): number {
    const offset = CLIENT_PREFACE.length - this.#prefaceLeft;
    const n = Math.min(this.#prefaceLeft, buf.length);
    for (let i = 0; i < n; i++) {
      if (buf[i] !== CLIENT_PREFACE[offset + i]) {
        throw fail('PROTOCOL_ERROR', 'the connection does not start with the HTTP/2 client preface');
      }
    }
    this.#prefaceLeft -= n;
    return n;
  }

  #hold(length: number, type: number, flags: number, streamId: number): void {
    this.#headHave = FRAME_HEADER_LENGTH;
    this.#length = length;
    this.#type = type;
    this.#flags = flags;
    this.#streamId = streamId;
  }

  /** Completes the held frame from `buf`; returns where the next frame starts, or -1 when `buf` is used up. */
  #resume(buf: Buffer, pos: number): number {
    const end = buf.length;
    if (this.#headHave < FRAME_HEADER_LENGTH) {
      const n = Math.min(FRAME_HEADER_LENGTH - this.#headHave, end - pos);
      buf.copy(this.#head, this.#headHave, pos, pos + n);
      this.#headHave += n;
      pos += n;
      if (this.#headHave < FRAME_HEADER_LENGTH) return -1;
      const h = this.#head;
      const length = (h[0]! << 16) | (h[1]! << 8) | h[2]!;
      const streamId = ((h[5]! & 0x7f) << 24) | (h[6]! << 16) | (h[7]! << 8) | h[8]!;
      this.#checkHeader(length, h[3]!, h[4]!, streamId);
      this.#hold(length, h[3]!, h[4]!, streamId);
      this.#payload = Buffer.allocUnsafe(length);
      this.#payloadHave = 0;
    }
    const payload = this.#payload!;
    const n = Math.min(this.#length - this.#payloadHave, end - pos);
    buf.copy(payload, this.#payloadHave, pos, pos + n);
    this.#payloadHave += n;
    pos += n;
    if (this.#payloadHave < this.#length) return -1;
    this.#headHave = 0;
    this.#payload = undefined;
    this.#frame(this.#type, this.#flags, this.#streamId, payload, 0, this.#length);
    return pos;
  }

  /** The checks a frame header allows before its payload is buffered. */
  #checkHeader(length: number, type: number, flags: number, streamId: number): void {
    if (length > this.#maxFrameSize) {
      throw fail(
        'FRAME_SIZE_ERROR',
        `a ${frameName(type)} frame of ${length} bytes is larger than SETTINGS_MAX_FRAME_SIZE (${this.#maxFrameSize})`,
      );
    }
    if (this.#blockStream !== 0 && (type !== FRAME_CONTINUATION || streamId !== this.#blockStream)) {
      throw fail(
        'PROTOCOL_ERROR',
        `a ${frameName(type)} frame on stream ${streamId} inside the header block of stream ${this.#blockStream}`,
      );
    }
    if (this.#settingsFirst) {
      if (type !== FRAME_SETTINGS || (flags & FLAG_ACK) !== 0) {
        throw fail('PROTOCOL_ERROR', `the peer's connection preface starts with ${frameName(type)}, not SETTINGS`);
      }
      this.#settingsFirst = false;
    }
  }

  #frame(type: number, flags: number, streamId: number, buf: Buffer, start: number, length: number): void {
    switch (type) {
      case FRAME_DATA:
        return this.#data(flags, streamId, buf, start, length);
      case FRAME_HEADERS:
        return this.#headers(flags, streamId, buf, start, length);
      case FRAME_PRIORITY:
        return this.#priority(streamId, buf, start, length);
      case FRAME_RST_STREAM:
        if (streamId === 0) throw fail('PROTOCOL_ERROR', 'a RST_STREAM frame on stream 0');
        if (length !== 4) throw fail('FRAME_SIZE_ERROR', `a RST_STREAM frame of ${length} bytes, not 4`);
        return this.#sink.rstStream(streamId, buf.readUInt32BE(start));
      case FRAME_SETTINGS:
        return this.#settings(flags, streamId, buf, start, length);
      case FRAME_PUSH_PROMISE:
        throw fail('PROTOCOL_ERROR', 'a PUSH_PROMISE frame, but push is disabled (SETTINGS_ENABLE_PUSH 0)');
      case FRAME_PING:
        if (streamId !== 0) throw fail('PROTOCOL_ERROR', `a PING frame on stream ${streamId}`);
        if (length !== PING_LENGTH) throw fail('FRAME_SIZE_ERROR', `a PING frame of ${length} bytes, not 8`);
        return this.#sink.ping((flags & FLAG_ACK) !== 0, buf.subarray(start, start + PING_LENGTH));
      case FRAME_GOAWAY:
        if (streamId !== 0) throw fail('PROTOCOL_ERROR', `a GOAWAY frame on stream ${streamId}`);
        if (length < 8) throw fail('FRAME_SIZE_ERROR', `a GOAWAY frame of ${length} bytes, fewer than 8`);
        return this.#sink.goaway(
          buf.readUInt32BE(start) & MAX_WINDOW_SIZE,
          buf.readUInt32BE(start + 4),
          buf.subarray(start + 8, start + length),
        );
      case FRAME_WINDOW_UPDATE:
        return this.#windowUpdate(streamId, buf, start, length);
      case FRAME_CONTINUATION:
        return this.#continuation(flags, streamId, buf, start, length);
      default:
        // Unknown frame types are ignored (§4.1, §5.5); inside a header block #checkHeader refused them.
        return;
    }
  }

  #data(flags: number, streamId: number, buf: Buffer, start: number, length: number): void {
    if (streamId === 0) throw fail('PROTOCOL_ERROR', 'a DATA frame on stream 0');
    let from = start;
    let to = start + length;
    if ((flags & FLAG_PADDED) !== 0) {
      if (length === 0) throw fail('FRAME_SIZE_ERROR', 'a padded DATA frame without its Pad Length field');
      const pad = buf[start]!;
      if (pad >= length) {
        throw fail('PROTOCOL_ERROR', `a DATA frame with ${pad} bytes of padding in a ${length}-byte payload`);
      }
      from += 1;
      to -= pad;
    }
    this.#sink.data(streamId, buf.subarray(from, to), (flags & FLAG_END_STREAM) !== 0, length);
  }

  #headers(flags: number, streamId: number, buf: Buffer, start: number, length: number): void {
    if (streamId === 0) throw fail('PROTOCOL_ERROR', 'a HEADERS frame on stream 0');
    const padded = (flags & FLAG_PADDED) !== 0;
    const prioritised = (flags & FLAG_PRIORITY) !== 0;
    const fixed = (padded ? 1 : 0) + (prioritised ? 5 : 0);
    if (length < fixed) throw fail('FRAME_SIZE_ERROR', `a HEADERS frame of ${length} bytes is shorter than its fields`);
    let from = start;
    let pad = 0;
    if (padded) {
      pad = buf[from]!;
      from += 1;
      if (pad > length - fixed) {
        throw fail('PROTOCOL_ERROR', `a HEADERS frame with ${pad} bytes of padding in a ${length}-byte payload`);
      }
    }
    let selfDependent = false;
    if (prioritised) {
      selfDependent = (buf.readUInt32BE(from) & MAX_WINDOW_SIZE) === streamId;
      from += 5;
    }
    const to = start + length - pad;
    const endStream = (flags & FLAG_END_STREAM) !== 0;
    if (to - from > this.#maxHeaderBlockSize) this.#blockTooLarge(streamId, to - from);
    if ((flags & FLAG_END_HEADERS) !== 0) {
      this.#sink.headers(streamId, buf.subarray(from, to), endStream);
      if (selfDependent) this.#selfDependent(streamId);
      return;
    }
    const size = to - from;
    const block = Buffer.allocUnsafe(Math.min(this.#maxHeaderBlockSize, Math.max(2 * size, 4096)));
    buf.copy(block, 0, from, to);
    this.#block = block;
    this.#blockLength = size;
    this.#blockStream = streamId;
    this.#blockEndStream = endStream;
    this.#blockSelfDependent = selfDependent;
    this.#blockContinuations = 0;
    this.#blockEmpty = 0;
  }

  #continuation(flags: number, streamId: number, buf: Buffer, start: number, length: number): void {
    if (streamId === 0) throw fail('PROTOCOL_ERROR', 'a CONTINUATION frame on stream 0');
    // #checkHeader already refused a CONTINUATION for another stream while a block is open.
    if (this.#blockStream === 0) {
      throw fail('PROTOCOL_ERROR', `a CONTINUATION frame on stream ${streamId} without a HEADERS frame before it`);
    }
    if (++this.#blockContinuations > this.#maxContinuations) {
      throw fail('ENHANCE_YOUR_CALM', `more than ${this.#maxContinuations} CONTINUATION frames in one header block`);
    }
    if (length === 0 && ++this.#blockEmpty > this.#maxEmptyContinuations) {
      throw fail(
        'ENHANCE_YOUR_CALM',
        `more than ${this.#maxEmptyContinuations} empty CONTINUATION frames in one header block`,
      );
    }
    const size = this.#blockLength + length;
    if (size > this.#maxHeaderBlockSize) this.#blockTooLarge(streamId, size);
    if (size > this.#block.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#maxHeaderBlockSize, Math.max(2 * this.#block.length, size)));
      this.#block.copy(grown, 0, 0, this.#blockLength);
      this.#block = grown;
    }
    buf.copy(this.#block, this.#blockLength, start, start + length);
    this.#blockLength = size;
    if ((flags & FLAG_END_HEADERS) === 0) return;
    const block = this.#block.subarray(0, size);
    const endStream = this.#blockEndStream;
    const selfDependent = this.#blockSelfDependent;
    this.#blockStream = 0;
    this.#block = EMPTY;
    this.#blockLength = 0;
    this.#sink.headers(streamId, block, endStream);
    if (selfDependent) this.#selfDependent(streamId);
  }

  #blockTooLarge(streamId: number, size: number): never {
    throw fail(
      'ENHANCE_YOUR_CALM',
      `the header block of stream ${streamId} reaches ${size} bytes, more than the ${this.#maxHeaderBlockSize} allowed`,
    );
  }

  #selfDependent(streamId: number): void {
    this.#sink.streamError(streamId, H2_ERROR.PROTOCOL_ERROR, `stream ${streamId} depends on itself`);
  }

  #priority(streamId: number, buf: Buffer, start: number, length: number): void {
    if (streamId === 0) throw fail('PROTOCOL_ERROR', 'a PRIORITY frame on stream 0');
    if (length !== 5) {
      this.#sink.streamError(streamId, H2_ERROR.FRAME_SIZE_ERROR, `a PRIORITY frame of ${length} bytes, not 5`);
      return;
    }
    if ((buf.readUInt32BE(start) & MAX_WINDOW_SIZE) === streamId) this.#selfDependent(streamId);
    // Otherwise ignored: RFC 9113 deprecates the priority scheme of RFC 7540 (§5.3.2).
  }

  #settings(flags: number, streamId: number, buf: Buffer, start: number, length: number): void {
    if (streamId !== 0) throw fail('PROTOCOL_ERROR', `a SETTINGS frame on stream ${streamId}`);
    if ((flags & FLAG_ACK) !== 0) {
      if (length !== 0) throw fail('FRAME_SIZE_ERROR', `a SETTINGS ACK frame with ${length} bytes of payload`);
      return this.#sink.settings(true, NO_SETTINGS);
    }
    if (length % 6 !== 0) throw fail('FRAME_SIZE_ERROR', `a SETTINGS frame of ${length} bytes, not a multiple of 6`);
    const settings: number[] = [];
    for (let at = start, end = start + length; at < end; at += 6) {
      const id = buf.readUInt16BE(at);
      const value = buf.readUInt32BE(at + 2);
      checkSetting(id, value);
      settings.push(id, value);
    }
    this.#sink.settings(false, settings);
  }

  #windowUpdate(streamId: number, buf: Buffer, start: number, length: number): void {
    if (length !== 4) throw fail('FRAME_SIZE_ERROR', `a WINDOW_UPDATE frame of ${length} bytes, not 4`);
    const increment = buf.readUInt32BE(start) & MAX_WINDOW_SIZE;
    if (increment === 0) {
      if (streamId === 0) throw fail('PROTOCOL_ERROR', 'a WINDOW_UPDATE frame with increment 0 on stream 0');
      this.#sink.streamError(streamId, H2_ERROR.PROTOCOL_ERROR, 'a WINDOW_UPDATE frame with increment 0');
      return;
    }
    this.#sink.windowUpdate(streamId, increment);
  }
}

function checkSetting(id: number, value: number): void {
  switch (id) {
    case SETTINGS_ENABLE_PUSH:
    case SETTINGS_ENABLE_CONNECT_PROTOCOL:
    case SETTINGS_NO_RFC7540_PRIORITIES:
      if (value > 1) throw fail('PROTOCOL_ERROR', `SETTINGS parameter 0x${id.toString(16)} is ${value}, not 0 or 1`);
      return;
    case SETTINGS_INITIAL_WINDOW_SIZE:
      if (value > MAX_WINDOW_SIZE) {
        throw fail('FLOW_CONTROL_ERROR', `SETTINGS_INITIAL_WINDOW_SIZE ${value} is larger than 2^31-1`);
      }
      return;
    case SETTINGS_MAX_FRAME_SIZE:
      if (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
        throw fail('PROTOCOL_ERROR', `SETTINGS_MAX_FRAME_SIZE ${value} is outside 16384…16777215`);
      }
      return;
    default:
      return;
  }
}
