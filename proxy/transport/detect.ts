// Protocol detection on an accepted connection (linkerd.md §4.4): the HTTP/2 client preface,
// else an HTTP/1 request line, else opaque TCP; a connection that sends nothing within the
// timeout is proxied as opaque TCP (server-speaks-first protocols should be marked opaque).
//
// Contract: detect() reads at most `maxBytes`, never consumes them: on return the bytes read are
// pushed back into the socket (unshift) and the socket is paused, ready to be handed to an HTTP
// server ('connection') or piped. Resolves once; a socket that closes first resolves 'closed'; one
// that half-closes mid-detection resolves 'opaque-ended' with its bytes (a stream cannot take
// bytes back after its end).

import type { Socket } from 'node:net';
import { Buffer } from 'node:buffer';

export type DetectedProtocol =
  | { readonly kind: 'h2' }
  | { readonly kind: 'http1' }
  | { readonly kind: 'opaque'; readonly reason: 'not-http' | 'timeout' }
  /** The client sent these bytes and then half-closed before they told anything: forward as TCP. */
  | { readonly kind: 'opaque-ended'; readonly bytes: Buffer }
  | { readonly kind: 'closed' };

export interface DetectOptions {
  readonly timeoutMs: number;
  /** How many bytes to look at before giving up on HTTP (default 1 KiB, Linkerd's figure). */
  readonly maxBytes?: number;
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [^\s]+ HTTP\/1\.[01]\r?\n/;
const METHOD_CHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*$/;

type Verdict = DetectedProtocol | 'more';

/** Classifies the bytes seen so far. Exported for tests and fuzzing. */
export function classify(bytes: Buffer, maxBytes = 1024): Verdict {
  const n = Math.min(bytes.length, H2_PREFACE.length);
  if (bytes.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) {
    return bytes.length >= H2_PREFACE.length ? { kind: 'h2' } : 'more';
  }
  const text = bytes.subarray(0, maxBytes).toString('latin1');
  const space = text.indexOf(' ');
  const method = space < 0 ? text : text.slice(0, space);
  if (!METHOD_CHAR.test(method) || method.length > 32) return { kind: 'opaque', reason: 'not-http' };
  const eol = text.indexOf('\n');
  if (eol < 0) return bytes.length >= maxBytes ? { kind: 'opaque', reason: 'not-http' } : 'more';
  return REQUEST_LINE.test(text.slice(0, eol + 1)) ? { kind: 'http1' } : { kind: 'opaque', reason: 'not-http' };
}

export function detect(socket: Socket, opts: DetectOptions): Promise<DetectedProtocol> {
  const maxBytes = opts.maxBytes ?? 1024;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: DetectedProtocol): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      if (size > 0 && result.kind !== 'opaque-ended' && result.kind !== 'closed')
        socket.unshift(Buffer.concat(chunks, size));
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      const verdict = classify(chunks.length === 1 ? chunk : Buffer.concat(chunks, size), maxBytes);
      if (verdict !== 'more') finish(verdict);
    };
    const onEnd = (): void =>
      finish(size > 0 ? { kind: 'opaque-ended', bytes: Buffer.concat(chunks, size) } : { kind: 'closed' });
    const timer = setTimeout(() => finish({ kind: 'opaque', reason: 'timeout' }), opts.timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume(); // accepted sockets start paused (pauseOnConnect)
  });
}
