// A tiny TCP probe run inside network namespaces by end-to-end tests (`ip netns exec NS node
// netns-probe.ts …`); it is a script, not a test.
//
//   listen NAME@HOST:PORT [NAME@HOST:PORT …]
//       listens on each address; answers every connection with `NAME\n` and closes it. Prints
//       `ready` once all are listening. Exits on SIGTERM, when stdin closes, or after 60 s.
//   connect HOST:PORT [TIMEOUT_MS]
//       connects, reads until the peer closes, and prints one JSON line
//       `{"reply":"NAME","uid":UID,"local":"IP:PORT"}`; on error `{"error":"CODE","uid":UID}` and exit 1.
//       Hosts may be IPv6 in brackets: `[fd00::1]:80`.

import { createConnection, createServer, type Server } from 'node:net';

const LIFETIME_MS = 60_000;

function splitAddress(text: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (match === null) throw new Error(`not HOST:PORT: ${text}`);
  return { host: match[1] ?? '', port: Number(match[2]) };
}

async function listen(specs: readonly string[]): Promise<void> {
  const servers: Server[] = [];
  for (const spec of specs) {
    const at = spec.indexOf('@');
    const name = spec.slice(0, at);
    const { host, port } = splitAddress(spec.slice(at + 1));
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.end(`${name}\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, ipv6Only: host.includes(':') }, resolve);
    });
    servers.push(server);
  }
  process.stdout.write('ready\n');
  const stop = (): void => {
    for (const server of servers) server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop).on('error', stop).resume();
  setTimeout(stop, LIFETIME_MS).unref();
}

function connect(target: string, timeoutMs: number): void {
  const { host, port } = splitAddress(target);
  const uid = process.getuid?.();
  const socket = createConnection({ host, port });
  let reply = '';
  let local = '';
  const fail = (code: string): void => {
    process.stdout.write(`${JSON.stringify({ error: code, uid })}\n`);
    process.exit(1);
  };
  socket.setTimeout(timeoutMs, () => {
    socket.destroy();
    fail('ETIMEDOUT');
  });
  socket.on('connect', () => {
    local = `${socket.localAddress ?? ''}:${socket.localPort ?? 0}`;
  });
  socket.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk));
  socket.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
  socket.on('end', () => {
    process.stdout.write(`${JSON.stringify({ reply: reply.trim(), uid, local })}\n`);
    process.exit(0);
  });
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'listen') {
  await listen(rest);
} else if (mode === 'connect' && rest[0] !== undefined) {
  connect(rest[0], Number(rest[1] ?? 3_000));
} else {
  process.stderr.write('usage: netns-probe.ts listen NAME@HOST:PORT… | connect HOST:PORT [TIMEOUT_MS]\n');
  process.exit(2);
}
