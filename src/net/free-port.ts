// Finding a free TCP port on a loopback address, for the local mesh and tests that start child
// processes (which cannot report a port-0 binding back as easily). The port is free when checked;
// another process could take it before the caller binds, so callers bind promptly.
//
// The port is drawn at random from below the kernel's ephemeral range (Linux:
// /proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default), not from bind(0): the kernel
// hands bind(0) a port of that range, which every outgoing connection also takes its local port
// from, so on a busy machine such a port was seen taken between the check and the real bind
// (EADDRINUSE in CI). Ports below the range are never handed to outgoing connections. Where the
// range cannot be read or leaves no room below it, the kernel's bind(0) choice is used.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomInt } from 'node:crypto';

const LOWEST = 10_000;
const ATTEMPTS = 50;
/** Ports this process handed out: a caller asking for several in a row gets different ones. */
const handedOut = new Set<number>();

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const below = ephemeralRangeStart();
  if (below !== undefined && below - LOWEST > 1_000) {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const port = randomInt(LOWEST, below);
      if (handedOut.has(port)) continue;
      if ((await bindAndRelease(host, port)) !== undefined) {
        if (handedOut.size > 5_000) handedOut.clear();
        handedOut.add(port);
        return port;
      }
    }
  }
  const port = await bindAndRelease(host, 0);
  if (port === undefined) throw new Error(`no free TCP port on ${host}`);
  return port;
}

/** The first port of the kernel's ephemeral range, or undefined when it cannot be read. */
export function ephemeralRangeStart(file = '/proc/sys/net/ipv4/ip_local_port_range'): number | undefined {
  try {
    const low = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : undefined;
  } catch {
    return undefined;
  }
}

/** Binds `port` (0: the kernel's choice) on `host` and releases it; the port, or undefined if taken. */
function bindAndRelease(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(undefined);
      else reject(err);
    });
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
