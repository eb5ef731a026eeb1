// Reading sockets into one buffer shared by all of them, instead of a fresh buffer per read.
//
// A socket read the stream way costs, per read, a 64 KiB allocation shrunk to the bytes read, an
// ArrayBuffer and a Buffer over it, the stream's push and 'data' event, and a tick to read more.
// Node's `onread` option (net.connect) reads into a caller's buffer and calls back with the byte
// count instead; on the HTTP/1 hop, reading client sockets this way saves about 1.2 µs of CPU per
// request (ADR 0023). Node offers `onread` only to sockets it connects, not to the ones a server
// accepts, so readShared() switches an accepted socket to it by setting the three fields net.js
// keeps it in (found by their symbols' descriptions on a socket made with `onread`) and pointing
// the handle at the buffer (`useUserBuffer`), as net.js does for a connected one. When this Node
// lacks any of that, or the socket is neither TCP nor TLS (a UNIX socket, a stream Node wraps in JS),
// the socket is read the stream way: readShared() reports which. A TLS socket's handle hands its
// decrypted bytes to the same buffer (as Node's own `onread` for tls.connect does).
//
// Contract: `onData` gets every byte in order, first those the stream had already buffered (from
// a later tick, never during readShared()). A chunk from the shared buffer is a view valid only
// during the call: the next read of any socket overwrites it, so whatever outlives the call must be
// copied (isShared tells). pause() and resume() stop and start reads as on any socket; end and
// close arrive as events, as before.

import { Socket } from 'node:net';
import { Buffer } from 'node:buffer';
import { nextTick } from 'node:process';

/** The buffer every shared read lands in (reads run one at a time, on this thread). */
export const SHARED_READ: Buffer = Buffer.allocUnsafeSlow(64 * 1024);

/** Whether `chunk` is a view of the shared read buffer (to be copied if it is kept). */
export function isShared(chunk: Buffer): boolean {
  return chunk.buffer === SHARED_READ.buffer;
}

interface ReadInternals {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

/** net.js's `onread` fields, or undefined when this Node keeps them differently. */
function findInternals(): ReadInternals | undefined {
  const buffer = Buffer.alloc(1);
  const callback = (): boolean => true;
  let probe: Socket;
  try {
    probe = new Socket({ onread: { buffer, callback } });
  } catch {
    return undefined;
  }
  const fields = probe as unknown as Record<symbol, unknown>;
  const named = (description: string): symbol | undefined =>
    Object.getOwnPropertySymbols(probe).find((s) => s.description === description);
  const b = named('kBuffer');
  const c = named('kBufferCb');
  const g = named('kBufferGen');
  if (b === undefined || c === undefined || g === undefined) return undefined;
  if (fields[b] !== buffer || fields[c] !== callback || fields[g] !== null) return undefined;
  return { buffer: b, callback: c, generator: g };
}

const INTERNALS = findInternals();

/**
 * Handles that read through `useUserBuffer`: plain TCP, and TLS (a TLSWrap hands its decrypted
 * bytes to the same listener; Node's own `onread` for tls.connect uses it).
 */
const SHAREABLE_HANDLES: ReadonlySet<string> = new Set(['TCP', 'TLSWrap']);

interface TcpHandle {
  readonly constructor: { readonly name: string };
  useUserBuffer?: (buffer: Buffer) => void;
}

/** Whether readShared() can switch sockets on this Node (tests assert it, to notice a change). */
export function sharedReadSupported(): boolean {
  return INTERNALS !== undefined;
}

/**
 * Delivers what `socket` reads to `onData`, through the shared buffer when possible; returns
 * whether it does (else the socket is read with a 'data' listener).
 */
export function readShared(socket: Socket, onData: (chunk: Buffer) => void): boolean {
  const internals = INTERNALS;
  const handle = (socket as unknown as { _handle?: TcpHandle | null })._handle;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (
    internals === undefined ||
    handle === undefined ||
    handle === null ||
    !SHAREABLE_HANDLES.has(handle.constructor.name) ||
    typeof handle.useUserBuffer !== 'function' ||
    fields[internals.buffer] !== null
  ) {
    socket.on('data', onData);
    return false;
  }
  // Bytes the stream already holds (a detection's unshift) go first, on a later tick: the caller
  // is still setting up. The tick is queued before read() can queue the stream's 'end' (a client
  // that sent its request and half-closed), so the bytes come before the end. A read before that
  // tick would deliver them itself (none can come first: the event loop dispatches reads after the
  // tick queue).
  let pending: Buffer | null = null;
  const flushPending = (): void => {
    const chunk = pending;
    pending = null;
    if (chunk !== null) onData(chunk);
  };
  if (socket.readableLength > 0) {
    nextTick(flushPending);
    pending = socket.read() as Buffer | null;
  }
  fields[internals.buffer] = SHARED_READ;
  fields[internals.generator] = null;
  fields[internals.callback] = (n: number): boolean => {
    if (pending !== null) flushPending();
    onData(SHARED_READ.subarray(0, n));
    return true;
  };
  handle.useUserBuffer(SHARED_READ);
  return true;
}

/**
 * Hands a socket readShared() switched back to stream reads (its 'data' events, pause, pipe): for
 * a connection that leaves the proxy's parser (an upgrade). Each read is then copied out of the
 * shared buffer and pushed into the stream, whose backpressure stops reads as usual.
 */
export function releaseShared(socket: Socket): void {
  const internals = INTERNALS;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (internals === undefined || fields[internals.buffer] !== SHARED_READ) return;
  fields[internals.callback] = (n: number): boolean => socket.push(Buffer.from(SHARED_READ.subarray(0, n)));
}
