// A fixed large-body upstream for the proxy benchmarks, run as its own process:
// `node bench/lib/body-upstream.ts HOST H1PORT H2PORT BYTES`. Every request (its body read and
// discarded) is answered with 200 and the same BYTES-long body, from one preallocated buffer, on
// an HTTP/1.1 port and an h2c port. Prints "listening H1PORT H2PORT" when ready; exits on SIGTERM.

import { createServer as createH1Server } from 'node:http';
import { constants, createServer as createH2Server } from 'node:http2';

const [host, h1Arg, h2Arg, bytesArg] = process.argv.slice(2);
const h1Port = Number(h1Arg);
const h2Port = Number(h2Arg);
const bytes = Number(bytesArg);

if (host !== undefined && Number.isInteger(h1Port) && Number.isInteger(h2Port) && Number.isInteger(bytes)) {
  const body = Buffer.alloc(bytes, 'x');
  const h1 = createH1Server({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
      res.end(body);
    });
  });
  // A proxy multiplexes every client's stream onto one session: with several 10 MiB bodies queued
  // on it, Node's default maxSessionMemory (10 MB) would refuse streams (ENHANCE_YOUR_CALM).
  const h2 = createH2Server({
    maxSessionMemory: 4096,
    settings: { maxConcurrentStreams: 1000, initialWindowSize: 1 << 20 },
  });
  h2.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.once('end', () => {
      if (stream.destroyed) return;
      stream.respond({
        [constants.HTTP2_HEADER_STATUS]: 200,
        'content-type': 'application/octet-stream',
        'content-length': String(bytes),
      });
      stream.end(body);
    });
    stream.on('error', () => undefined);
  });
  h2.on('session', (session) => session.once('connect', () => session.setLocalWindowSize(4 << 20)));
  h2.on('sessionError', () => undefined);
  let listening = 0;
  const ready = (): void => {
    if (++listening === 2) process.stdout.write(`listening ${h1Port} ${h2Port}\n`);
  };
  h1.listen(h1Port, host, ready);
  h2.listen(h2Port, host, ready);
  process.once('SIGTERM', () => process.exit(0));
}
