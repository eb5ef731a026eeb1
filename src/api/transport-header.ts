// Encodes and decodes the `transport.l5d.io/v1` connection header that a client proxy writes at the
// start of an mTLS connection to a peer proxy's inbound port (opaque transport, gateways).
//
// Frame: the 23-byte preface `transport.l5d.io/v1\r\n\r\n`, a big-endian uint32 length N, then N bytes
// of the protobuf transport.l5d.io.Header; the application's bytes follow. The decoder works on a
// stream of chunks: it answers "need more bytes" until the frame is complete, then hands back the
// header and whatever application bytes arrived with it. It refuses, with TransportHeaderError, a
// wrong preface (as soon as a byte differs), a length above the limit (64 KiB by default), a message
// that does not decode, and a port outside 1..65535. Buffering is linear in the bytes received.

import { BinaryReader } from '@bufbuild/protobuf/wire';

import { InternalError, ProtobufDecodeError, TransportHeaderError } from '../errors/index.ts';
import { Header } from './gen/transport/l5d/io/header.ts';

/** The ALPN protocol name under which the header is spoken. */
export const TRANSPORT_HEADER_ALPN = 'transport.l5d.io/v1';

/** What every header starts with (ASCII, 23 bytes). */
export const TRANSPORT_HEADER_PREFACE = `${TRANSPORT_HEADER_ALPN}\r\n\r\n`;

const PREFACE_BYTES = Buffer.from(TRANSPORT_HEADER_PREFACE, 'latin1');

/** Default ceiling for the length field: larger headers are refused. */
export const DEFAULT_MAX_TRANSPORT_HEADER_BYTES = 64 * 1024;

const PREFACE_LENGTH = PREFACE_BYTES.length; // 23
const FRAME_PREFIX_LENGTH = PREFACE_LENGTH + 4; // preface + uint32 length

export type SessionProtocolName = 'http1' | 'http2';

/** The header's meaning, as the proxy uses it. */
export interface TransportHeader {
  /** The port the application meant to reach, 1..65535. */
  readonly port: number;
  /** The logical target name (gateways); undefined when absent. */
  readonly name?: string | undefined;
  /** The protocol of the session that follows; undefined means opaque bytes. */
  readonly sessionProtocol?: SessionProtocolName | undefined;
}

/** A decoded header: every field present, absent ones as undefined. */
export interface DecodedTransportHeader extends TransportHeader {
  readonly name: string | undefined;
  readonly sessionProtocol: SessionProtocolName | undefined;
}

export type TransportHeaderDecodeResult =
  /** The frame is incomplete; at least `atLeast` more bytes are needed. */
  | { readonly kind: 'need-more'; readonly atLeast: number }
  /** The frame is complete: `rest` holds the application bytes that came after it (a view, not a copy). */
  | {
      readonly kind: 'decoded';
      readonly header: DecodedTransportHeader;
      readonly rest: Buffer;
      readonly frameLength: number;
    };

export interface TransportHeaderDecoderOptions {
  /** The largest accepted message length N (not counting preface and length field). */
  readonly maxHeaderBytes?: number;
}

/** The full frame for `header`: preface, length, message. */
export function encodeTransportHeader(header: TransportHeader): Buffer {
  checkPort(header.port);
  const message = Header.encode({
    port: header.port,
    name: header.name ?? '',
    sessionProtocol:
      header.sessionProtocol === undefined
        ? undefined
        : header.sessionProtocol === 'http1'
          ? { kind: { $case: 'http1', http1: {} } }
          : { kind: { $case: 'http2', http2: {} } },
  }).finish();
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_LENGTH + message.length);
  PREFACE_BYTES.copy(frame, 0);
  frame.writeUInt32BE(message.length, PREFACE_LENGTH);
  frame.set(message, FRAME_PREFIX_LENGTH);
  return frame;
}

/** Decodes a header from bytes that are all available at once (see TransportHeaderDecoder for streams). */
export function decodeTransportHeader(
  bytes: Uint8Array,
  options: TransportHeaderDecoderOptions = {},
): TransportHeaderDecodeResult {
  const decoder = new TransportHeaderDecoder(options);
  return decoder.push(bytes);
}

/**
 * Incremental decoder for one connection: push each chunk as it arrives until the result is
 * `decoded`, or call `end()` when the peer closes first. Single use; after a refusal it stays failed.
 */
export class TransportHeaderDecoder {
  readonly #maxHeaderBytes: number;
  readonly #chunks: Uint8Array[] = [];
  #received = 0;
  #messageLength: number | undefined;
  #state: 'reading' | 'decoded' | 'failed' = 'reading';

  constructor(options: TransportHeaderDecoderOptions = {}) {
    const max = options.maxHeaderBytes ?? DEFAULT_MAX_TRANSPORT_HEADER_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > 0xffff_ffff) {
      throw new InternalError(`maxHeaderBytes must be an integer 1..4294967295, got ${max}`);
    }
    this.#maxHeaderBytes = max;
  }

  /** Adds the next chunk of the connection and reports whether the header is complete. */
  push(chunk: Uint8Array): TransportHeaderDecodeResult {
    if (this.#state !== 'reading') {
      throw new InternalError(`transport header decoder used after it ${this.#state}`);
    }
    try {
      return this.#push(chunk);
    } catch (err) {
      this.#state = 'failed';
      throw err;
    }
  }

  /** The peer closed the stream: refuses unless a complete header was already decoded. */
  end(): void {
    if (this.#state === 'decoded') return;
    this.#state = 'failed';
    throw new TransportHeaderError(
      `connection ended after ${this.#received} bytes, before a complete transport header`,
      { fields: { received: this.#received } },
    );
  }

  #push(chunk: Uint8Array): TransportHeaderDecodeResult {
    const offset = this.#received;
    this.#chunks.push(chunk);
    this.#received += chunk.length;

    // Check the preface bytes this chunk brings, so a stranger is refused at its first wrong byte.
    for (let i = offset; i < Math.min(this.#received, PREFACE_LENGTH); i++) {
      if (chunk[i - offset] !== PREFACE_BYTES[i]) {
        throw new TransportHeaderError(`connection does not start with the ${TRANSPORT_HEADER_ALPN} preface`, {
          fields: { offset: i },
        });
      }
    }
    if (this.#received < FRAME_PREFIX_LENGTH) {
      return { kind: 'need-more', atLeast: FRAME_PREFIX_LENGTH - this.#received };
    }

    if (this.#messageLength === undefined) {
      const length = this.#flatten().readUInt32BE(PREFACE_LENGTH);
      if (length > this.#maxHeaderBytes) {
        throw new TransportHeaderError(
          `transport header length ${length} is above the limit of ${this.#maxHeaderBytes} bytes`,
          { fields: { length, limit: this.#maxHeaderBytes } },
        );
      }
      this.#messageLength = length;
    }

    const frameLength = FRAME_PREFIX_LENGTH + this.#messageLength;
    if (this.#received < frameLength) return { kind: 'need-more', atLeast: frameLength - this.#received };

    const all = this.#flatten();
    const header = decodeHeaderMessage(all.subarray(FRAME_PREFIX_LENGTH, frameLength));
    this.#state = 'decoded';
    this.#chunks.length = 0;
    return { kind: 'decoded', header, rest: all.subarray(frameLength), frameLength };
  }

  /** Joins the buffered chunks into one (kept as the only chunk) and returns it; one chunk is not copied. */
  #flatten(): Buffer {
    const [only] = this.#chunks;
    const joined =
      this.#chunks.length === 1 && only !== undefined
        ? Buffer.from(only.buffer, only.byteOffset, only.byteLength)
        : Buffer.concat(this.#chunks);
    this.#chunks.length = 0;
    this.#chunks.push(joined);
    return joined;
  }
}

function decodeHeaderMessage(bytes: Uint8Array): DecodedTransportHeader {
  let message: Header;
  try {
    const reader = new BinaryReader(bytes);
    message = Header.decode(reader);
    if (reader.pos !== reader.len) {
      throw new ProtobufDecodeError(`stray bytes at offset ${reader.pos} of ${reader.len}`);
    }
  } catch (err) {
    const cause = err instanceof ProtobufDecodeError ? err : new ProtobufDecodeError(String(err), { cause: err });
    throw new TransportHeaderError('transport header message does not decode', { cause });
  }
  checkPort(message.port);
  const kind = message.sessionProtocol?.kind?.$case;
  return {
    port: message.port,
    name: message.name === '' ? undefined : message.name,
    sessionProtocol: kind,
  };
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TransportHeaderError(`transport header port ${port} is outside 1..65535`, { fields: { port } });
  }
}
