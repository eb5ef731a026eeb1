// Test support for the frame codec: an H2FrameSink that records every call as a plain tuple, with
// buffers turned into hex at call time (the parser's buffers are valid only during the call), so
// tests compare whole call lists with deepEqual.

import type { H2FrameSink } from './frame-parser.ts';
import { Buffer } from 'node:buffer';

export type FrameCall =
  | readonly ['data', number, string, boolean, number]
  | readonly ['headers', number, string, boolean]
  | readonly ['rstStream', number, number]
  | readonly ['settings', boolean, readonly number[]]
  | readonly ['ping', boolean, string]
  | readonly ['goaway', number, number, string]
  | readonly ['windowUpdate', number, number]
  | readonly ['streamError', number, number];

export class FrameRecorder implements H2FrameSink {
  readonly calls: FrameCall[] = [];
  /** The messages of streamError calls, in order (kept out of `calls` so tables stay short). */
  readonly messages: string[] = [];

  data(streamId: number, payload: Buffer, endStream: boolean, flowBytes: number): void {
    this.calls.push(['data', streamId, payload.toString('hex'), endStream, flowBytes]);
  }

  headers(streamId: number, block: Buffer, endStream: boolean): void {
    this.calls.push(['headers', streamId, block.toString('hex'), endStream]);
  }

  rstStream(streamId: number, code: number): void {
    this.calls.push(['rstStream', streamId, code]);
  }

  settings(ack: boolean, settings: readonly number[]): void {
    this.calls.push(['settings', ack, [...settings]]);
  }

  ping(ack: boolean, opaque: Buffer): void {
    this.calls.push(['ping', ack, opaque.toString('hex')]);
  }

  goaway(lastStreamId: number, code: number, debug: Buffer): void {
    this.calls.push(['goaway', lastStreamId, code, debug.toString('hex')]);
  }

  windowUpdate(streamId: number, increment: number): void {
    this.calls.push(['windowUpdate', streamId, increment]);
  }

  streamError(streamId: number, code: number, message: string): void {
    this.calls.push(['streamError', streamId, code]);
    this.messages.push(message);
  }
}

/** The calls of one kind, typed as that kind. */
export function callsOf<K extends FrameCall[0]>(
  calls: readonly FrameCall[],
  kind: K,
): Extract<FrameCall, readonly [K, ...unknown[]]>[] {
  return calls.filter((c): c is Extract<FrameCall, readonly [K, ...unknown[]]> => c[0] === kind);
}

/** A frame built byte by byte, independent of frame-writer.ts: any length, flags and raw 32-bit stream field. */
export function rawFrame(
  type: number,
  flags: number,
  streamField: number,
  payload: Buffer | readonly number[] = [],
): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(9);
  head.writeUIntBE(body.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamField >>> 0, 5);
  return Buffer.concat([head, body]);
}

/** A 32-bit big-endian value as bytes, for building payloads. */
export function u32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}
