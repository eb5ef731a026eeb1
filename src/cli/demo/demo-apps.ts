// The local mesh's small applications, run as `nodemesh demo-app <kind>` child processes:
//   web      an HTTP service answering /products (and failing some /orders) on --listen
//   traffic  a steady client calling --target through its proxy's outbound listener (--via)
// They know nothing about the mesh: the proxies next to them do the work.

import { request, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { UsageError } from '../../errors/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_OK, type CommandContext } from '../command.ts';
import { writeLine } from '../output.ts';
import { untilAborted } from '../wait.ts';
import { splitHostPort } from '../../config/index.ts';

export async function runDemoApp(ctx: CommandContext): Promise<number> {
  const [kind, ...rest] = ctx.argv;
  if (kind === 'web') return runWeb({ ...ctx, argv: rest });
  if (kind === 'traffic') return runTraffic({ ...ctx, argv: rest });
  throw new UsageError(`demo-app: unknown app ${JSON.stringify(kind ?? '')}; allowed: web, traffic`);
}

async function runWeb(ctx: CommandContext): Promise<number> {
  const { values } = parseFlags('demo-app web', ctx.argv, { listen: { type: 'string' }, name: { type: 'string' } });
  const addr = splitHostPort(values.listen ?? '');
  if (addr === undefined) throw new UsageError('demo-app web: --listen HOST:PORT is required');
  const name = values.name ?? 'web';
  let orders = 0;
  // A few milliseconds of work per request, as a real service has: concurrent requests overlap,
  // which is what makes load-aware balancing spread them over the replicas.
  const server = createServer((req, res) => void setTimeout(() => serve(req, res), 5 + Math.random() * 10));
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const caller = req.headers['l5d-client-id'] ?? 'unknown (not meshed)';
    if (path.startsWith('/orders')) {
      orders++;
      // Every fifth order fails, so failures show in the metrics.
      res.writeHead(orders % 5 === 0 ? 503 : 201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ served_by: name, caller }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ served_by: name, caller, products: ['tea', 'coffee', 'cocoa'] }));
  };
  await new Promise<void>((resolve) => server.listen(addr.port, addr.host, resolve));
  writeLine(ctx.stdout, `web ${name} listening on ${addr.host}:${addr.port}`);
  await untilAborted(ctx.signal);
  server.close();
  return EXIT_OK;
}

async function runTraffic(ctx: CommandContext): Promise<number> {
  const { values } = parseFlags('demo-app traffic', ctx.argv, {
    via: { type: 'string' },
    target: { type: 'string' },
    interval: { type: 'string' },
  });
  const via = splitHostPort(values.via ?? '');
  if (via === undefined || values.target === undefined) {
    throw new UsageError('demo-app traffic: --via HOST:PORT and --target AUTHORITY are required');
  }
  const intervalMs = Number.parseInt(values.interval ?? '200', 10);
  const counts = new Map<string, number>();
  let n = 0;
  const once = (): void => {
    const path = n++ % 4 === 3 ? '/orders' : '/products';
    const req = request(
      {
        host: via.host,
        port: via.port,
        method: path === '/orders' ? 'POST' : 'GET',
        path,
        headers: { host: values.target },
      },
      (res) => {
        res.resume();
        const key = `${path} ${res.statusCode}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      },
    );
    req.on('error', (err) => counts.set(`error ${err.message}`, (counts.get(`error ${err.message}`) ?? 0) + 1));
    req.end();
  };
  // Each tick sends a small burst of concurrent requests, like a page load fanning out.
  const timer = setInterval(
    () => {
      for (let i = 0; i < 3; i++) once();
    },
    Math.max(10, intervalMs),
  );
  const report = setInterval(() => writeLine(ctx.stdout, JSON.stringify(Object.fromEntries(counts))), 5000);
  await untilAborted(ctx.signal);
  clearInterval(timer);
  clearInterval(report);
  writeLine(ctx.stdout, JSON.stringify(Object.fromEntries(counts)));
  return EXIT_OK;
}
