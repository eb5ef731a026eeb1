// One checked request through a benchmark path before it is loaded (status, body, grpc-status),
// so a broken path fails loudly instead of being measured; and the gRPC request frame the load
// generators send.

import { request as h1request } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { RESPONSE_BODY } from './haproxy.ts';

export type PreflightProtocol = 'http1' | 'h2' | 'grpc';

export interface PreflightTarget {
  readonly host?: string;
  readonly port: number;
  readonly authority: string;
  /** The response body expected (default RESPONSE_BODY; for gRPC the message text). */
  readonly body?: string;
  /** Instead of `body`: the expected body length (large responses). */
  readonly bodyBytes?: number;
  readonly timeoutMs?: number;
}

/** A gRPC length-prefixed message whose protobuf is field 1 = `text`. */
export function grpcFrame(text: string): Buffer {
  const msg = Buffer.concat([Buffer.from([0x0a, Buffer.byteLength(text)]), Buffer.from(text)]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

/** One request through a path, checked: 200, the expected body, and grpc-status 0 for gRPC. */
export async function preflight(protocol: PreflightProtocol, t: PreflightTarget): Promise<void> {
  const host = t.host ?? '127.0.0.1';
  const where = `${host}:${t.port} (authority ${t.authority})`;
  const timeoutMs = t.timeoutMs ?? 5000;
  const expected = t.body ?? RESPONSE_BODY;
  const bodyOk = (body: Buffer): boolean =>
    t.bodyBytes !== undefined ? body.length === t.bodyBytes : body.toString() === expected;
  const show = (body: Buffer): string =>
    body.length > 200 ? `${body.length} bytes` : JSON.stringify(body.toString('latin1'));
  if (protocol === 'http1') {
    const { status, body } = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = h1request({ host, port: t.port, path: '/', headers: { host: t.authority } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
      req.once('error', reject);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`preflight ${where}: no response within ${timeoutMs} ms`)));
      req.end();
    });
    if (status !== 200 || !bodyOk(body)) throw new Error(`preflight ${where}: status ${status}, body ${show(body)}`);
    return;
  }
  const session = h2connect(`http://${host}:${t.port}`);
  try {
    const grpc = protocol === 'grpc';
    const stream = session.request({
      ':method': grpc ? 'POST' : 'GET',
      ':path': grpc ? '/bench.Echo/Unary' : '/',
      ':authority': t.authority,
      ...(grpc ? { 'content-type': 'application/grpc', te: 'trailers' } : {}),
    });
    const got = await new Promise<{ status: number; body: Buffer; grpcStatus: unknown }>((resolve, reject) => {
      let status = 0;
      let grpcStatus: unknown;
      const chunks: Buffer[] = [];
      const received = (): number => chunks.reduce((n, c) => n + c.length, 0);
      stream.once('response', (h) => (status = Number(h[':status'])));
      stream.once('trailers', (tr: Record<string, string | string[] | undefined>) => (grpcStatus = tr['grpc-status']));
      stream.on('data', (d: Buffer) => chunks.push(d));
      let ended = false;
      stream.once('end', () => {
        ended = true;
        resolve({ status, body: Buffer.concat(chunks), grpcStatus });
      });
      // A stream reset before END_STREAM (even with NO_ERROR) is a failed response for h2load.
      stream.once('close', () => {
        if (!ended)
          reject(
            new Error(
              `preflight ${where}: the stream was reset (RST_STREAM code ${stream.rstCode}) before END_STREAM, after status ${status} and ${received()} body bytes`,
            ),
          );
      });
      stream.once('error', reject);
      session.once('error', reject);
      setTimeout(
        () =>
          reject(
            new Error(
              `preflight ${where}: no END_STREAM within ${timeoutMs} ms (status ${status}, ${received()} body bytes, RST_STREAM code ${String(stream.rstCode)})`,
            ),
          ),
        timeoutMs,
      ).unref();
      stream.end(grpc ? grpcFrame(expected) : undefined);
    });
    const okBody = grpc ? got.body.subarray(7).toString() === expected : bodyOk(got.body);
    if (got.status !== 200 || !okBody || (grpc && got.grpcStatus !== '0'))
      throw new Error(
        `preflight ${where}: status ${got.status}, body ${show(got.body)}, grpc-status ${String(got.grpcStatus)}`,
      );
  } finally {
    session.close();
  }
}
