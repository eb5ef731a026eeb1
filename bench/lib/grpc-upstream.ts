// A fixed gRPC unary upstream for the proxy benchmarks, run as its own process:
// `node bench/lib/grpc-upstream.ts PORT [HOST]` (HOST defaults to 127.0.0.1). It speaks h2c, reads
// and discards each request body, and answers every stream with one length-prefixed message and
// `grpc-status: 0` trailers — what a gRPC unary response is on the wire, without grpc-js's
// per-call machinery, so the upstream stays cheap. Prints "listening PORT" when ready; exits on SIGTERM.

import { constants, createServer } from 'node:http2';

/** The response message: a 5-byte gRPC frame header and a 12-byte protobuf (field 1, "hello world\n"). */
export const GRPC_RESPONSE = Buffer.concat([Buffer.from([0, 0, 0, 0, 14, 0x0a, 12]), Buffer.from('hello world\n')]);

const port = Number(process.argv[2]);
const host = process.argv[3] ?? '127.0.0.1';
if (Number.isInteger(port) && port > 0) {
  const server = createServer({ settings: { maxConcurrentStreams: 1000, initialWindowSize: 1 << 20 } });
  server.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.once('end', () => {
      if (stream.destroyed) return;
      stream.respond(
        { [constants.HTTP2_HEADER_STATUS]: 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(GRPC_RESPONSE);
    });
    stream.on('error', () => undefined);
  });
  server.on('sessionError', () => undefined);
  server.listen(port, host, () => process.stdout.write(`listening ${port}\n`));
  process.once('SIGTERM', () => process.exit(0));
}
