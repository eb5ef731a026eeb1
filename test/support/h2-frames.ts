// Raw HTTP/2 frames for hostile-input tests: a client that writes exactly the frames a test names
// (floods included) and records what the server answers, without an HTTP/2 library in between.
// Header blocks use HPACK "literal without indexing, new name" with no Huffman coding, so any
// header list can be written by hand.

import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FRAME = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
};
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 };
export const ERROR = { NO_ERROR: 0, PROTOCOL_ERROR: 1, CANCEL: 8, ENHANCE_YOUR_CALM: 11 };

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

function hpackInteger(value: number, prefixBits: number, firstByte: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByte | value]);
  const bytes = [firstByte | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** An HPACK header block of literal fields (never indexed into the table, never Huffman). */
export function headerBlock(headers: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of headers) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x00]), hpackInteger(n.length, 7, 0), n, hpackInteger(v.length, 7, 0), v);
  }
  return Buffer.concat(parts);
}

export function getHeaders(authority: string, path = '/'): (readonly [string, string])[] {
  return [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':authority', authority],
    [':path', path],
  ];
}

export interface ReceivedFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** A raw HTTP/2 client connection: write frames, read the frames the server sends. */
export class RawH2Client {
  readonly socket: Socket;
  readonly frames: ReceivedFrame[] = [];
  #buffer = Buffer.alloc(0);
  #closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.#parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => (this.#closed = true));
  }

  /** Connects, sends the preface and an empty SETTINGS frame. */
  static async open(port: number, host = '127.0.0.1'): Promise<RawH2Client> {
    const socket = connect(port, host);
    await once(socket, 'connect');
    const client = new RawH2Client(socket);
    client.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
    return client;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes bytes; false when the socket is gone or its buffer is full. */
  write(bytes: Buffer): boolean {
    if (this.#closed || this.socket.destroyed) return false;
    return this.socket.write(bytes);
  }

  /** The GOAWAY the server sent, if any: its last stream id and error code. */
  goaway(): { lastStreamId: number; errorCode: number } | undefined {
    const f = this.frames.find((x) => x.type === FRAME.GOAWAY);
    if (f === undefined) return undefined;
    return { lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, errorCode: f.payload.readUInt32BE(4) };
  }

  /** Waits until `done()` holds or the connection closes, for at most `ms`. */
  async until(done: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && !this.#closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  close(): void {
    this.socket.destroy();
  }

  #parse(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 9) {
      const length = this.#buffer.readUIntBE(0, 3);
      if (this.#buffer.length < 9 + length) return;
      this.frames.push({
        type: this.#buffer[3] ?? 0,
        flags: this.#buffer[4] ?? 0,
        streamId: this.#buffer.readUInt32BE(5) & 0x7fffffff,
        payload: this.#buffer.subarray(9, 9 + length),
      });
      this.#buffer = this.#buffer.subarray(9 + length);
    }
  }
}
