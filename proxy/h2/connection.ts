// One HTTP/2 connection (RFC 9113) over a socket, as a server (accepting request streams) or as a
// client (opening them): the preface and SETTINGS exchange, the stream table and stream states,
// both levels of flow control, HPACK, PING, RST_STREAM and GOAWAY, and the protections a proxy
// facing untrusted peers needs (concurrent stream limit, rapid-reset rate, malformed messages
// refused per stream). The proxy's own replacement for node:http2 on the data path (ADR 0020).
//
// Contract: frames are written in batches: everything queued during one turn of the event loop's
// I/O phase (this connection's reads, and the calls other connections' reads make on its streams)
// leaves in one socket write, from setImmediate. Handlers are called
// synchronously from the read that carried the frame; a handler that throws ends the connection
// with INTERNAL_ERROR. A connection error (the peer broke the protocol) sends GOAWAY with its code
// and ends the socket; every open stream's handler hears reset() once, and the connection handler
// close() once, whatever ends the connection. Streams the peer opens beyond maxConcurrentStreams,
// or after we sent GOAWAY, are refused with RST_STREAM(REFUSED_STREAM); a request whose header
// list is over maxHeaderListSize is answered 431 and not handed on.

import type { Socket } from 'node:net';
import { H2_ERROR, H2ConnectionError, H2HeaderListTooLarge, H2StreamError, h2ErrorName } from './errors.ts';
import { checkFields, contentLengthOf, fieldCharsValid, statusOf } from './fields.ts';
import {
  CLIENT_PREFACE,
  DEFAULT_INITIAL_WINDOW_SIZE,
  DEFAULT_MAX_FRAME_SIZE,
  FLAG_END_STREAM,
  FRAME_DATA,
  MAX_STREAM_ID,
  MAX_WINDOW_SIZE,
  SETTINGS_ENABLE_PUSH,
  SETTINGS_HEADER_TABLE_SIZE,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_CONCURRENT_STREAMS,
  SETTINGS_MAX_FRAME_SIZE,
  SETTINGS_MAX_HEADER_LIST_SIZE,
} from './frame-types.ts';
import { H2FrameParser, type H2FrameSink } from './frame-parser.ts';
import { StreamTable } from './stream-table.ts';
import {
  SETTINGS_ACK,
  frameHeader,
  goawayFrame,
  headersFrames,
  pingFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from './frame-writer.ts';
import { HpackDecoder, HpackEncoder } from './hpack/index.ts';
import { H2Stream } from './stream.ts';
import type { H2StreamOwner } from './stream-owner.ts';
import { isShared, readShared } from '../transport/shared-read.ts';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';

export interface H2ConnectionOptions {
  readonly role: 'server' | 'client';
  /** Streams the peer may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS; default 1000). */
  readonly maxConcurrentStreams?: number;
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE; default 1 MiB). */
  readonly initialWindowSize?: number;
  /** Our receive window for the whole connection (default 4 MiB). */
  readonly connectionWindowSize?: number;
  /** Largest decoded header list we accept (SETTINGS_MAX_HEADER_LIST_SIZE; default 64 KiB). */
  readonly maxHeaderListSize?: number;
  /** Peer resets tolerated in a burst, then per second (rapid reset, CVE-2023-44487; default 1000 and 33, nghttp2's). */
  readonly resetBurst?: number;
  readonly resetRatePerSecond?: number;
  /** PINGs and SETTINGS (frames we must answer) tolerated in a burst, then per second (default 1000 and 100). */
  readonly controlBurst?: number;
  readonly controlRatePerSecond?: number;
}

export interface H2ConnectionHandler {
  /** Server role: a new request. Set `stream.handler` before returning to receive its body. */
  stream?(stream: H2Stream, fields: string[], endStream: boolean, neverIndexed: readonly number[]): void;
  /** The peer sent GOAWAY: no new streams; ours above lastStreamId were already reset (REFUSED_STREAM). */
  goaway?(code: number, lastStreamId: number): void;
  /** A stream was reset for a problem of its own (malformed message, limit), for logs and metrics. */
  streamError?(streamId: number, code: number, message: string): void;
  /** The connection is gone; `err` says why unless it closed cleanly. Called once. */
  close?(err: Error | undefined): void;
}

/** Frames queued beyond this are written without first copying them into one buffer. */
const COALESCE_LIMIT = 64 * 1024;
/** How long an ended connection keeps reading (and dropping) the peer's bytes before it is destroyed. */
const LINGER_MS = 1000;
/** Bytes waiting in the socket beyond which DATA waits for 'drain'. */
const SOCKET_HIGH_WATER = 256 * 1024;
/** Bytes waiting in the socket beyond which a peer asking for more PING/SETTINGS answers is flooding us. */
const CONTROL_BACKLOG_LIMIT = 1024 * 1024;

type Bucket = { tokens: number; last: number; readonly burst: number; readonly rate: number };

export class H2Connection {
  readonly role: 'server' | 'client';
  readonly socket: Socket;
  readonly #handler: H2ConnectionHandler;
  readonly #parser: H2FrameParser;
  readonly #decoder: HpackDecoder;
  readonly #encoder = new HpackEncoder();
  readonly #owner: H2StreamOwner;
  readonly #streams = new StreamTable<H2Stream>();
  // Our settings.
  readonly #maxConcurrent: number;
  readonly #initialWindow: number;
  readonly #connectionWindow: number;
  readonly #maxHeaderList: number;
  // The peer's settings.
  #peerInitialWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  #peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  #peerMaxConcurrent = Infinity;
  // Flow control of the connection.
  #sendWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  #recvWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  #recvUnacked = 0;
  /** Streams with DATA waiting for the connection window or the socket. */
  #blocked: H2Stream[] = [];
  // Streams.
  #lastPeerStreamId = 0;
  #nextStreamId = 1;
  #peerOpen = 0;
  #ownOpen = 0;
  // Lifecycle.
  #started = false;
  #goawaySent = false;
  #goawayReceived = false;
  #closed = false;
  readonly #resets: Bucket;
  readonly #control: Bucket;
  readonly #pings: (() => void)[] = [];
  /** Streams whose handler wants flush() after the current read. */
  #touched: H2Stream[] = [];
  // Output batching.
  #out: Buffer[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  readonly #flushOut = (): void => this.#writeOut();

  constructor(socket: Socket, handler: H2ConnectionHandler, opts: H2ConnectionOptions) {
    this.role = opts.role;
    this.socket = socket;
    this.#handler = handler;
    this.#maxConcurrent = opts.maxConcurrentStreams ?? 1000;
    this.#initialWindow = opts.initialWindowSize ?? 1 << 20;
    this.#connectionWindow = opts.connectionWindowSize ?? 4 << 20;
    this.#maxHeaderList = opts.maxHeaderListSize ?? 64 * 1024;
    const now = performance.now();
    this.#resets = {
      tokens: opts.resetBurst ?? 1000,
      last: now,
      burst: opts.resetBurst ?? 1000,
      rate: opts.resetRatePerSecond ?? 33,
    };
    this.#control = {
      tokens: opts.controlBurst ?? 1000,
      last: now,
      burst: opts.controlBurst ?? 1000,
      rate: opts.controlRatePerSecond ?? 100,
    };
    this.#decoder = new HpackDecoder({ maxHeaderListSize: this.#maxHeaderList, validField: fieldCharsValid });
    // The parser checks the peer's preface: the client preface octets (we serve), then a SETTINGS
    // frame as the first frame either way (RFC 9113 §3.4).
    this.#parser = new H2FrameParser(this.#sink(), { preface: opts.role === 'server' ? 'client' : 'server' });
    this.#owner = {
      headers: (stream, fields, endStream, neverIndexed) => this.#sendHeaders(stream, fields, endStream, neverIndexed),
      flush: (stream) => this.#sendData(stream),
      reset: (stream, code) => this.#resetStream(stream, code, undefined, false),
      consumed: (stream, n) => this.#consumed(stream, n),
    };
  }

  /** Sends the preface (client) and our SETTINGS, and starts reading. Call once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const socket = this.socket;
    if (this.role === 'client') this.#queue(CLIENT_PREFACE);
    const settings = [
      SETTINGS_MAX_CONCURRENT_STREAMS,
      this.role === 'server' ? this.#maxConcurrent : 0,
      SETTINGS_INITIAL_WINDOW_SIZE,
      this.#initialWindow,
      SETTINGS_MAX_HEADER_LIST_SIZE,
      this.#maxHeaderList,
    ];
    if (this.role === 'client') settings.push(SETTINGS_ENABLE_PUSH, 0);
    this.#queue(settingsFrame(settings));
    if (this.#connectionWindow > DEFAULT_INITIAL_WINDOW_SIZE) {
      this.#queue(windowUpdateFrame(0, this.#connectionWindow - DEFAULT_INITIAL_WINDOW_SIZE));
      this.#recvWindow = this.#connectionWindow;
    }
    socket.setNoDelay?.(true);
    // Plain TCP reads land in the shared buffer (transport/shared-read.ts): the frame parser copies
    // what it holds between reads, and DATA payloads are copied before they go to a stream.
    readShared(socket, (data: Buffer) => this.#onData(data));
    // HTTP/2 has no half-close: the peer's FIN ends the connection.
    socket.on('end', () =>
      this.#terminate(this.#streams.size > 0 ? closedError('the peer closed the connection') : undefined),
    );
    socket.on('error', (err: Error) => this.#terminate(err));
    socket.on('close', () => this.#terminate(this.#streams.size > 0 ? closedError('connection closed') : undefined));
    socket.on('drain', () => this.#onDrain());
    socket.resume();
  }

  /** Streams open now (ours and the peer's). */
  get activeStreams(): number {
    return this.#streams.size;
  }

  /** Client role: how many more streams the peer allows now (0 after GOAWAY or close). */
  get availableStreams(): number {
    if (this.#closed || this.#goawaySent || this.#goawayReceived || this.#nextStreamId > MAX_STREAM_ID) return 0;
    return Math.max(0, Math.min(this.#peerMaxConcurrent, this.#maxConcurrent) - this.#ownOpen);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Client role: opens a stream with the request head `fields` (pseudo-headers first). Throws when
   * no stream is available (check availableStreams).
   */
  request(fields: readonly string[], endStream: boolean, neverIndexed?: readonly number[]): H2Stream {
    if (this.role !== 'client') throw new Error('request() on a server connection');
    if (this.availableStreams === 0) throw closedError('no stream available on this connection');
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const stream = new H2Stream(this.#owner, id, this.#peerInitialWindow, this.#initialWindow);
    stream.headSent = true;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === ':method') {
        stream.noResponseBody = fields[i + 1] === 'HEAD';
        break;
      }
    }
    this.#streams.set(stream);
    this.#ownOpen++;
    if (endStream) stream.localEnded = true;
    this.#sendHeaders(stream, fields, endStream, neverIndexed);
    return stream;
  }

  /** Sends a PING; `done` runs when its ACK arrives (keepalive, round-trip time). */
  ping(done: () => void): void {
    if (this.#closed) return;
    this.#pings.push(done);
    this.#queue(pingFrame(Buffer.alloc(8), false));
  }

  /**
   * Graceful close: GOAWAY(NO_ERROR) naming the last stream the peer opened; streams already open
   * finish, new ones are refused; the socket ends when none is left.
   */
  close(): void {
    if (this.#closed || this.#goawaySent) return;
    this.#goawaySent = true;
    this.#queue(goawayFrame(this.#lastPeerStreamId, H2_ERROR.NO_ERROR));
    this.#maybeEnd();
  }

  /** Ends the connection now: GOAWAY(code) and every open stream reset. */
  destroy(err?: Error, code: number = H2_ERROR.NO_ERROR): void {
    if (this.#closed) return;
    if (!this.#goawaySent) {
      this.#goawaySent = true;
      this.#queue(goawayFrame(this.#lastPeerStreamId, code));
    }
    this.#writeOut();
    this.socket.end();
    this.#terminate(err);
  }

  // --- reading ---------------------------------------------------------------------------------

  #onData(data: Buffer): void {
    if (this.#closed) return;
    try {
      this.#parser.feed(data);
      if (this.#touched.length > 0) this.#flushTouched();
    } catch (err) {
      this.#connectionError(err);
    }
  }

  #touch(stream: H2Stream): void {
    if (stream.touched || stream.handler.flush === undefined) return;
    stream.touched = true;
    this.#touched.push(stream);
  }

  #flushTouched(): void {
    const touched = this.#touched;
    this.#touched = [];
    for (const stream of touched) {
      stream.touched = false;
      stream.handler.flush?.();
    }
  }

  #sink(): H2FrameSink {
    return {
      data: (id, payload, endStream, flowBytes) => this.#onDataFrame(id, payload, endStream, flowBytes),
      headers: (id, block, endStream) => this.#onHeaders(id, block, endStream),
      rstStream: (id, code) => this.#onRstStream(id, code),
      settings: (ack, list) => this.#onSettings(ack, list),
      ping: (ack, opaque) => this.#onPing(ack, opaque),
      goaway: (last, code, debug) => this.#onGoaway(last, code, debug),
      windowUpdate: (id, increment) => this.#onWindowUpdate(id, increment),
      streamError: (id, code, message) => this.#onStreamError(id, code, message),
    };
  }

  #onDataFrame(id: number, payload: Buffer, endStream: boolean, flowBytes: number): void {
    this.#recvWindow -= flowBytes;
    if (this.#recvWindow < 0) throw new H2ConnectionError('FLOW_CONTROL_ERROR', 'DATA beyond the connection window');
    const stream = this.#streams.get(id);
    if (stream === undefined) {
      if (this.#isIdle(id)) throw new H2ConnectionError('PROTOCOL_ERROR', `DATA on idle stream ${id}`);
      // A stream we closed or reset: the bytes still counted against the connection window.
      this.#creditConnection(flowBytes);
      return;
    }
    if (stream.remoteEnded || !stream.headReceived) {
      this.#creditConnection(flowBytes);
      this.#streamProblem(
        stream,
        stream.remoteEnded ? H2_ERROR.STREAM_CLOSED : H2_ERROR.PROTOCOL_ERROR,
        'DATA out of place',
      );
      return;
    }
    stream.recvWindow -= flowBytes;
    if (stream.recvWindow < 0) {
      this.#creditConnection(flowBytes);
      this.#streamProblem(stream, H2_ERROR.FLOW_CONTROL_ERROR, 'DATA beyond the stream window');
      return;
    }
    stream.recvHeld += flowBytes;
    // Padding is nobody's to consume.
    if (flowBytes > payload.length) this.#consumed(stream, flowBytes - payload.length);
    stream.receivedLength += payload.length;
    const expected = stream.expectedLength;
    if (expected >= 0 && (stream.receivedLength > expected || (endStream && stream.receivedLength !== expected))) {
      this.#streamProblem(stream, H2_ERROR.PROTOCOL_ERROR, 'body length differs from content-length');
      return;
    }
    if (endStream) stream.remoteEnded = true;
    stream.handler.data(isShared(payload) ? Buffer.from(payload) : payload, endStream);
    this.#touch(stream);
    if (endStream) this.#maybeCloseStream(stream);
  }

  #onHeaders(id: number, block: Buffer, endStream: boolean): void {
    // Always decode: the HPACK tables must follow every block, even one we then refuse.
    let fields: string[];
    let tooLarge: H2HeaderListTooLarge | undefined;
    try {
      fields = this.#decoder.decode(block);
    } catch (err) {
      if (!(err instanceof H2HeaderListTooLarge)) throw err;
      tooLarge = err;
      fields = [];
    }
    const neverIndexed = this.#decoder.lastNeverIndexed;
    const stream = this.#streams.get(id);
    if (stream === undefined) {
      if (this.role === 'client' || id % 2 === 0) {
        if (this.#isIdle(id)) throw new H2ConnectionError('PROTOCOL_ERROR', `HEADERS on idle stream ${id}`);
        return;
      }
      if (id <= this.#lastPeerStreamId) return; // a stream already closed or reset
      this.#openPeerStream(id, fields, endStream, neverIndexed, tooLarge);
      return;
    }
    if (tooLarge !== undefined) {
      this.#streamProblem(stream, H2_ERROR.PROTOCOL_ERROR, tooLarge.message);
      return;
    }
    if (this.role === 'client' && !stream.headReceived) {
      this.#onResponseHead(stream, fields, endStream, neverIndexed);
      return;
    }
    // Trailers.
    if (stream.remoteEnded) {
      this.#streamProblem(stream, H2_ERROR.STREAM_CLOSED, 'HEADERS after the end of the stream');
      return;
    }
    const problem = endStream
      ? checkFields(fields, 'trailers', this.#decoder.lastUnchecked)
      : 'trailers without END_STREAM';
    if (problem !== undefined) {
      this.#streamProblem(stream, H2_ERROR.PROTOCOL_ERROR, problem);
      return;
    }
    if (stream.expectedLength >= 0 && stream.receivedLength !== stream.expectedLength) {
      this.#streamProblem(stream, H2_ERROR.PROTOCOL_ERROR, 'body length differs from content-length');
      return;
    }
    stream.remoteEnded = true;
    stream.handler.headers(fields, true, neverIndexed);
    this.#touch(stream);
    this.#maybeCloseStream(stream);
  }

  #openPeerStream(
    id: number,
    fields: string[],
    endStream: boolean,
    neverIndexed: readonly number[],
    tooLarge: H2HeaderListTooLarge | undefined,
  ): void {
    this.#lastPeerStreamId = id;
    if (this.#goawaySent || this.#peerOpen >= this.#maxConcurrent) {
      this.#queue(rstStreamFrame(id, H2_ERROR.REFUSED_STREAM));
      this.#handler.streamError?.(
        id,
        H2_ERROR.REFUSED_STREAM,
        this.#goawaySent ? 'after GOAWAY' : 'too many concurrent streams',
      );
      return;
    }
    const stream = new H2Stream(this.#owner, id, this.#peerInitialWindow, this.#initialWindow);
    stream.headReceived = true;
    this.#streams.set(stream);
    this.#peerOpen++;
    if (tooLarge !== undefined) {
      this.#handler.streamError?.(id, H2_ERROR.PROTOCOL_ERROR, tooLarge.message);
      stream.remoteEnded = endStream;
      stream.respond([':status', '431'], true);
      if (!endStream) this.#resetStream(stream, H2_ERROR.NO_ERROR, undefined, true);
      else this.#maybeCloseStream(stream);
      return;
    }
    let problem = checkFields(fields, 'request', this.#decoder.lastUnchecked);
    const length = problem === undefined ? contentLengthOf(fields) : -1;
    if (length === -2) problem = 'invalid content-length';
    else if (endStream && length > 0) problem = 'content-length without a body';
    if (problem !== undefined) {
      this.#streamProblem(stream, H2_ERROR.PROTOCOL_ERROR, problem);
      return;
    }
    stream.expectedLength = length;
    if (endStream) stream.remoteEnded = true;
    if (this.#handler.stream === undefined) {
      this.#resetStream(stream, H2_ERROR.REFUSED_STREAM, undefined, true);
      return;
    }
    this.#handler.stream(stream, fields, endStream, neverIndexed);
    if (endStream) this.#maybeCloseStream(stream);
  }

  #onResponseHead(stream: H2Stream, fields: string[], endStream: boolean, neverIndexed: readonly number[]): void {
    let problem = checkFields(fields, 'response', this.#decoder.lastUnchecked);
    const status = problem === undefined ? statusOf(fields) : 0;
    if (problem === undefined && status < 200) {
      if (endStream || status === 101) problem = 'interim response that ends the stream or switches protocols';
      else {
        stream.handler.informational?.(fields);
        return;
      }
    }
    let length = -1;
    if (problem === undefined && !stream.noResponseBody && status !== 204 && status !== 304) {
      length = contentLengthOf(fields);
      if (length === -2) problem = 'invalid content-length';
      else if (endStream && length > 0) problem = 'content-length without a body';
    }
    if (problem !== undefined) {
      this.#streamProblem(stream, H2_ERROR.PROTOCOL_ERROR, problem);
      return;
    }
    stream.headReceived = true;
    stream.expectedLength = length;
    if (endStream) stream.remoteEnded = true;
    stream.handler.headers(fields, endStream, neverIndexed);
    this.#touch(stream);
    if (endStream) this.#maybeCloseStream(stream);
  }

  #onRstStream(id: number, code: number): void {
    const stream = this.#streams.get(id);
    if (stream === undefined) {
      if (this.#isIdle(id)) throw new H2ConnectionError('PROTOCOL_ERROR', `RST_STREAM on idle stream ${id}`);
      return;
    }
    if (this.role === 'server' && !take(this.#resets)) {
      throw new H2ConnectionError('ENHANCE_YOUR_CALM', 'too many stream resets (rapid reset)');
    }
    this.#closeStream(stream);
    stream.handler.reset(code, undefined);
    stream.handler.close?.();
  }

  #onSettings(ack: boolean, list: readonly number[]): void {
    if (ack) return;
    if (!take(this.#control) || this.#backlogged()) throw new H2ConnectionError('ENHANCE_YOUR_CALM', 'SETTINGS flood');
    for (let i = 0; i < list.length; i += 2) {
      const value = list[i + 1]!;
      switch (list[i]!) {
        case SETTINGS_HEADER_TABLE_SIZE:
          this.#encoder.setPeerMaxTableSize(value);
          break;
        case SETTINGS_MAX_CONCURRENT_STREAMS:
          this.#peerMaxConcurrent = value;
          break;
        case SETTINGS_INITIAL_WINDOW_SIZE: {
          const delta = value - this.#peerInitialWindow;
          this.#peerInitialWindow = value;
          for (const stream of this.#streams.values()) {
            stream.sendWindow += delta;
            if (stream.sendWindow > MAX_WINDOW_SIZE) {
              throw new H2ConnectionError(
                'FLOW_CONTROL_ERROR',
                'SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window',
              );
            }
          }
          if (delta > 0)
            for (const stream of this.#streams.values()) if (stream.pendingBytes > 0) this.#sendData(stream);
          break;
        }
        case SETTINGS_MAX_FRAME_SIZE:
          this.#peerMaxFrameSize = value;
          break;
        default:
          break;
      }
    }
    this.#queue(SETTINGS_ACK);
  }

  #onPing(ack: boolean, opaque: Buffer): void {
    if (ack) {
      this.#pings.shift()?.();
      return;
    }
    if (!take(this.#control) || this.#backlogged()) throw new H2ConnectionError('ENHANCE_YOUR_CALM', 'PING flood');
    this.#queue(pingFrame(Buffer.from(opaque), true));
  }

  #onGoaway(lastStreamId: number, code: number, debug: Buffer): void {
    this.#goawayReceived = true;
    const refused: H2Stream[] = [];
    if (this.role === 'client')
      for (const stream of this.#streams.values()) if (stream.id > lastStreamId) refused.push(stream);
    for (const stream of refused) {
      this.#closeStream(stream);
      stream.handler.reset(
        H2_ERROR.REFUSED_STREAM,
        closedError(`the peer sent GOAWAY(${h2ErrorName(code)}) before processing the stream${debugText(debug)}`),
      );
      stream.handler.close?.();
    }
    this.#handler.goaway?.(code, lastStreamId);
    this.#maybeEnd();
  }

  #onWindowUpdate(id: number, increment: number): void {
    if (id === 0) {
      this.#sendWindow += increment;
      if (this.#sendWindow > MAX_WINDOW_SIZE)
        throw new H2ConnectionError('FLOW_CONTROL_ERROR', 'connection window above 2^31-1');
      this.#resumeBlocked();
      return;
    }
    const stream = this.#streams.get(id);
    if (stream === undefined) {
      if (this.#isIdle(id)) throw new H2ConnectionError('PROTOCOL_ERROR', `WINDOW_UPDATE on idle stream ${id}`);
      return;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW_SIZE) {
      this.#streamProblem(stream, H2_ERROR.FLOW_CONTROL_ERROR, 'stream window above 2^31-1');
      return;
    }
    if (stream.pendingBytes > 0 || stream.pendingEnd) this.#sendData(stream);
  }

  #onStreamError(id: number, code: number, message: string): void {
    const stream = this.#streams.get(id);
    if (stream !== undefined) this.#streamProblem(stream, code, message);
    else {
      this.#queue(rstStreamFrame(id, code));
      this.#handler.streamError?.(id, code, message);
    }
  }

  /** Whether `id` names a stream that was never opened (frames on it are a connection error). */
  #isIdle(id: number): boolean {
    const peerInitiated = this.role === 'server' ? id % 2 === 1 : id % 2 === 0;
    if (peerInitiated) return id > this.#lastPeerStreamId;
    return id >= this.#nextStreamId;
  }

  // --- sending ---------------------------------------------------------------------------------

  #sendHeaders(
    stream: H2Stream,
    fields: readonly string[],
    endStream: boolean,
    neverIndexed: readonly number[] | undefined,
  ): void {
    const encoder = this.#encoder;
    const block = encoder.encodeShared(fields, neverIndexed);
    this.#queue(headersFrames(stream.id, block, endStream, this.#peerMaxFrameSize, encoder.lastLength));
    if (endStream) this.#maybeCloseStream(stream);
  }

  /** Sends the stream's queued DATA as the windows allow, then its end (DATA or trailers). */
  #sendData(stream: H2Stream): void {
    if (stream.closed) return;
    const pending = stream.pending;
    while (pending.length > 0) {
      if (stream.sendWindow <= 0) return;
      if (this.#sendWindow <= 0 || this.#socketFull()) {
        this.#block(stream);
        return;
      }
      const chunk = pending[0]!;
      const n = Math.min(chunk.length, stream.sendWindow, this.#sendWindow, this.#peerMaxFrameSize);
      let piece: Buffer;
      if (n === chunk.length) {
        pending.shift();
        piece = chunk;
      } else {
        piece = chunk.subarray(0, n);
        pending[0] = chunk.subarray(n);
      }
      stream.pendingBytes -= n;
      stream.sendWindow -= n;
      this.#sendWindow -= n;
      const last = pending.length === 0 && stream.pendingEnd && stream.pendingTrailers === undefined;
      this.#queue(frameHeader(n, FRAME_DATA, last ? FLAG_END_STREAM : 0, stream.id));
      this.#queue(piece);
      if (last) {
        stream.pendingEnd = false;
        stream.localEnded = true;
      }
    }
    if (stream.pendingEnd) {
      stream.pendingEnd = false;
      stream.localEnded = true;
      const trailers = stream.pendingTrailers;
      stream.pendingTrailers = undefined;
      if (trailers !== undefined) {
        const encoder = this.#encoder;
        const block = encoder.encodeShared(trailers);
        this.#queue(headersFrames(stream.id, block, true, this.#peerMaxFrameSize, encoder.lastLength));
      } else this.#queue(frameHeader(0, FRAME_DATA, FLAG_END_STREAM, stream.id));
    }
    if (stream.needDrain && stream.pendingBytes <= 0) {
      stream.needDrain = false;
      stream.handler.drain?.();
    }
    if (stream.localEnded) this.#maybeCloseStream(stream);
  }

  /** The peer is not reading what we send. */
  #backlogged(): boolean {
    return this.socket.writableLength + this.#outBytes > CONTROL_BACKLOG_LIMIT;
  }

  #socketFull(): boolean {
    return this.socket.writableLength + this.#outBytes > SOCKET_HIGH_WATER;
  }

  #block(stream: H2Stream): void {
    if (stream.blockedOnConnection) return;
    stream.blockedOnConnection = true;
    this.#blocked.push(stream);
  }

  #resumeBlocked(): void {
    if (this.#blocked.length === 0) return;
    const blocked = this.#blocked;
    this.#blocked = [];
    for (let i = 0; i < blocked.length; i++) {
      const stream = blocked[i]!;
      stream.blockedOnConnection = false;
      if (this.#sendWindow <= 0 || this.#socketFull()) {
        // Keep the order: the rest wait again. Their flags still say blocked (only this one's was
        // cleared), and #block() skips a stream so marked: clear each before queueing it again,
        // or it would stay marked without being queued and never be resumed.
        for (let j = i; j < blocked.length; j++) {
          const rest = blocked[j]!;
          rest.blockedOnConnection = false;
          this.#block(rest);
        }
        return;
      }
      this.#sendData(stream);
    }
  }

  #onDrain(): void {
    this.#resumeBlocked();
  }

  #consumed(stream: H2Stream, bytes: number): void {
    const n = Math.min(bytes, stream.recvHeld);
    if (n <= 0) return;
    stream.recvHeld -= n;
    this.#creditConnection(n);
    if (stream.closed || stream.remoteEnded) return;
    stream.recvUnacked += n;
    if (stream.recvUnacked >= this.#initialWindow / 2) {
      this.#queue(windowUpdateFrame(stream.id, stream.recvUnacked));
      stream.recvWindow += stream.recvUnacked;
      stream.recvUnacked = 0;
    }
  }

  #creditConnection(n: number): void {
    this.#recvUnacked += n;
    if (this.#recvUnacked >= this.#connectionWindow / 2) {
      this.#queue(windowUpdateFrame(0, this.#recvUnacked));
      this.#recvWindow += this.#recvUnacked;
      this.#recvUnacked = 0;
    }
  }

  #queue(frame: Buffer): void {
    if (this.#closed) return;
    this.#out.push(frame);
    this.#outBytes += frame.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushOut);
    }
  }

  #writeOut(): void {
    this.#flushScheduled = false;
    const out = this.#out;
    if (out.length === 0) return;
    const bytes = this.#outBytes;
    this.#out = [];
    this.#outBytes = 0;
    const socket = this.socket;
    if (socket.destroyed) return;
    if (out.length === 1) socket.write(out[0]!);
    else if (bytes <= COALESCE_LIMIT) socket.write(Buffer.concat(out, bytes));
    else {
      socket.cork();
      for (const frame of out) socket.write(frame);
      socket.uncork();
    }
  }

  // --- stream and connection ends ---------------------------------------------------------------

  /** A stream error: RST_STREAM(code), the stream's handler hears reset(code), the connection handler streamError. */
  #streamProblem(stream: H2Stream, code: number, message: string): void {
    this.#handler.streamError?.(stream.id, code, message);
    this.#resetStream(stream, code, new H2StreamError(code, message), true);
  }

  #resetStream(stream: H2Stream, code: number, err: Error | undefined, notify: boolean): void {
    if (stream.closed) return;
    this.#queue(rstStreamFrame(stream.id, code));
    this.#closeStream(stream);
    if (notify) stream.handler.reset(code, err);
    stream.handler.close?.();
  }

  #maybeCloseStream(stream: H2Stream): void {
    if (stream.localEnded && stream.remoteEnded && !stream.closed) {
      this.#closeStream(stream);
      stream.handler.close?.();
    }
  }

  #closeStream(stream: H2Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    stream.localEnded = true;
    stream.remoteEnded = true;
    stream.pending.length = 0;
    stream.pendingBytes = 0;
    // Bytes delivered but not consumed will not be: give the connection window back.
    if (stream.recvHeld > 0) {
      this.#creditConnection(stream.recvHeld);
      stream.recvHeld = 0;
    }
    this.#streams.delete(stream.id);
    const peerInitiated = this.role === 'server' ? stream.id % 2 === 1 : stream.id % 2 === 0;
    if (peerInitiated) this.#peerOpen--;
    else this.#ownOpen--;
    this.#maybeEnd();
  }

  /** After GOAWAY (either way), the connection ends once its last stream is done. */
  #maybeEnd(): void {
    if ((this.#goawaySent || this.#goawayReceived) && this.#streams.size === 0 && !this.#closed) {
      this.#writeOut();
      this.socket.end();
      this.#terminate(undefined);
    }
  }

  #connectionError(err: unknown): void {
    const e =
      err instanceof H2ConnectionError
        ? err
        : new H2ConnectionError('INTERNAL_ERROR', 'a handler failed while reading the connection', { cause: err });
    if (!this.#closed && !this.#goawaySent) {
      this.#goawaySent = true;
      this.#queue(goawayFrame(this.#lastPeerStreamId, e.h2Code, Buffer.from(e.message.slice(0, 256), 'latin1')));
    }
    this.destroy(e, e.h2Code);
  }

  #terminate(err: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out = [];
    this.#outBytes = 0;
    this.#blocked = [];
    const streams = this.#streams.values();
    this.#streams.clear();
    const reason = err ?? closedError('connection closed');
    for (const stream of streams) {
      stream.closed = true;
      stream.handler.reset(err instanceof H2ConnectionError ? err.h2Code : H2_ERROR.CANCEL, reason);
      stream.handler.close?.();
    }
    const socket = this.socket;
    if (!socket.destroyed) {
      // FIN after what is queued (a GOAWAY), then keep reading and dropping what the peer still
      // sends for a moment: closing with unread input would reset the connection, and the peer
      // could lose the GOAWAY that tells it why.
      socket.end();
      socket.resume();
      const linger = setTimeout(() => socket.destroy(), LINGER_MS);
      linger.unref();
      socket.once('close', () => clearTimeout(linger));
    }
    this.#handler.close?.(err);
  }
}

function closedError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

function debugText(debug: Buffer): string {
  return debug.length === 0 ? '' : `: ${debug.toString('latin1', 0, Math.min(debug.length, 128))}`;
}

/** Takes a token from a bucket refilled at `rate` per second up to `burst`; false when empty. */
function take(bucket: Bucket): boolean {
  const now = performance.now();
  bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.last) / 1000) * bucket.rate);
  bucket.last = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
