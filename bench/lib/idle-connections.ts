// Many idle keep-alive client connections held open to a proxy, for footprint measurements: each
// connection sends one HTTP/1.1 request, reads the whole response (so the proxy has set the
// connection up completely: detection, HTTP server state, a pooled upstream) and then stays open
// and silent. Connections are opened in batches; opening stops at the first batch that fails
// entirely (e.g. the open-file limit), and the result says how many are open.

import { connect, type Socket } from 'node:net';

export interface IdleConnectionsOptions {
  readonly host: string;
  readonly port: number;
  readonly authority: string;
  readonly count: number;
  /** Connections opened concurrently (default 100: below the proxy's idle pool limit per peer). */
  readonly batch?: number;
  readonly timeoutMs?: number;
}

export interface IdleConnections {
  readonly open: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  /** Number of connections still open now. */
  alive(): number;
  close(): void;
}

export async function openIdleConnections(o: IdleConnectionsOptions): Promise<IdleConnections> {
  const sockets: Socket[] = [];
  const request = `GET / HTTP/1.1\r\nhost: ${o.authority}\r\n\r\n`;
  const batch = o.batch ?? 100;
  const timeoutMs = o.timeoutMs ?? 10_000;
  let failed = 0;
  let firstError: string | undefined;
  const one = (): Promise<Socket | undefined> =>
    new Promise((resolve) => {
      let buf = '';
      let settled = false;
      const socket = connect({ host: o.host, port: o.port });
      const finish = (ok: boolean, why?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (ok) {
          socket.removeAllListeners('data');
          resolve(socket);
        } else {
          firstError ??= why;
          socket.destroy();
          resolve(undefined);
        }
      };
      const timer = setTimeout(() => finish(false, `no response within ${timeoutMs} ms`), timeoutMs);
      socket.setEncoding('latin1');
      socket.once('connect', () => socket.write(request));
      socket.on('data', (d: string) => {
        buf += d;
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length - end - 4 < length) return;
        finish(buf.startsWith('HTTP/1.1 200'), `response ${JSON.stringify(buf.slice(0, 40))}`);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => finish(false, err.code ?? err.message));
      socket.once('close', () => finish(false, 'closed by the proxy'));
    });
  while (sockets.length < o.count) {
    const n = Math.min(batch, o.count - sockets.length);
    const opened = (await Promise.all(Array.from({ length: n }, one))).filter((s): s is Socket => s !== undefined);
    failed += n - opened.length;
    sockets.push(...opened);
    if (opened.length === 0) break;
  }
  for (const s of sockets) s.on('error', () => undefined);
  return {
    open: sockets.length,
    failed,
    firstError,
    alive: () => sockets.filter((s) => !s.destroyed && s.readyState === 'open').length,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
