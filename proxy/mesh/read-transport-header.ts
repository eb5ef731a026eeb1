// Reading the transport.l5d.io/v1 header from the start of a terminated mTLS stream, leaving the
// application bytes after it in the stream.

import type { Duplex } from 'node:stream';
import { TransportHeaderDecoder, type DecodedTransportHeader } from '../../src/api/index.ts';

export type HeaderReadResult =
  | { readonly kind: 'header'; readonly header: DecodedTransportHeader }
  | { readonly kind: 'error'; readonly reason: string };

export function readTransportHeader(stream: Duplex, timeoutMs: number): Promise<HeaderReadResult> {
  return new Promise((resolve) => {
    const decoder = new TransportHeaderDecoder();
    let done = false;
    const finish = (result: HeaderReadResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('close', onClose);
      stream.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      try {
        const r = decoder.push(chunk);
        if (r.kind === 'decoded') {
          finish({ kind: 'header', header: r.header });
          if (r.rest.length > 0) stream.unshift(r.rest);
        }
      } catch (err) {
        finish({ kind: 'error', reason: err instanceof Error ? err.message : String(err) });
      }
    };
    const onClose = (): void => finish({ kind: 'error', reason: 'the connection closed before its transport header' });
    const timer = setTimeout(
      () => finish({ kind: 'error', reason: `no transport header within ${timeoutMs} ms` }),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.once('close', onClose);
    stream.resume();
  });
}
