// Finding a free TCP port on a loopback address, for the local mesh and tests that start child
// processes (which cannot report a port-0 binding back as easily). The port is free when checked;
// another process could take it before the caller binds, so callers bind promptly.

import { createServer } from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
