// Peeking at an accepted connection for a TLS ClientHello (with a timeout), leaving every byte
// in the socket for whoever reads next.

import type { Socket } from 'node:net';
import { parseClientHello, type HelloVerdict } from './client-hello.ts';
import { Buffer } from 'node:buffer';

export type PeekResult =
  | Exclude<HelloVerdict, 'more'>
  | { readonly kind: 'timeout' }
  /** The client half-closed before a verdict: these are all the bytes it will send. */
  | { readonly kind: 'ended'; readonly bytes: Buffer }
  | { readonly kind: 'closed' };

export function peekClientHello(socket: Socket, timeoutMs: number): Promise<PeekResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: PeekResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('end', onEnd);
      socket.pause();
      if (size > 0 && result.kind !== 'closed' && result.kind !== 'ended') socket.unshift(Buffer.concat(chunks, size));
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      const verdict = parseClientHello(Buffer.concat(chunks, size));
      if (verdict !== 'more') finish(verdict);
    };
    const onClose = (): void => finish({ kind: 'closed' });
    const onEnd = (): void =>
      finish(size > 0 ? { kind: 'ended', bytes: Buffer.concat(chunks, size) } : { kind: 'closed' });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('end', onEnd);
    socket.resume();
  });
}
