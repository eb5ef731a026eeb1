// A benchmark child: plain HTTP/1.1 servers on loopback, each answering after its own delay
// (0 = at once), naming itself in `x-upstream-port`. Configured by NODEMESH_BENCH_UPSTREAMS, a JSON list of { port, delayMs }; prints
// `ready` once all listen and runs until SIGTERM.

import { createServer } from 'node:http';

const specs = JSON.parse(process.env.NODEMESH_BENCH_UPSTREAMS ?? '[]') as { port: number; delayMs: number }[];
const body = Buffer.from('hello world\n');
await Promise.all(
  specs.map(
    ({ port, delayMs }) =>
      new Promise<void>((resolve) => {
        const server = createServer((req, res) => {
          const reply = (): void => {
            res.writeHead(200, {
              'content-type': 'text/plain',
              'content-length': String(body.length),
              'x-upstream-port': String(port),
            });
            res.end(body);
          };
          req.resume();
          if (delayMs > 0) setTimeout(reply, delayMs);
          else reply();
        });
        server.keepAliveTimeout = 60_000;
        server.listen(port, '127.0.0.1', resolve);
      }),
  ),
);
process.stdout.write('ready\n');
process.once('SIGTERM', () => process.exit(0));
