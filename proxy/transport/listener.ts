// A proxy listener: accepts TCP connections (paused, half-open allowed) and hands each to the
// connection handler, tracking them so shutdown can stop accepting and wait for them to drain.
//
// Contract: listen() resolves with the bound address. close() stops accepting at once and resolves
// when every tracked connection has closed; destroyAll() ends what is left after a grace period.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { SocketAddress } from '../../src/config/index.ts';
import { MeshError } from '../../src/errors/index.ts';

export type ConnectionHandler = (socket: Socket) => void;

export class ProxyListener {
  readonly name: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #address: SocketAddress | undefined;

  constructor(name: string, handler: ConnectionHandler) {
    this.name = name;
    this.#server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      handler(socket);
    });
  }

  get address(): SocketAddress {
    if (this.#address === undefined) throw new Error(`${this.name} listener is not listening`);
    return this.#address;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** Binds `addr`; `setting` names the variable that chose it, for the error message. */
  async listen(addr: SocketAddress, setting?: string): Promise<SocketAddress> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'EADDRINUSE'
            ? 'the address is already in use'
            : err.code === 'EACCES'
              ? 'permission denied'
              : (err.code ?? err.message);
        reject(
          new MeshError(
            'MESH_ERR_LISTEN',
            `cannot listen on ${addr.host}:${addr.port} for ${this.name}${setting === undefined ? '' : ` (${setting})`}: ${why}`,
            {
              cause: err,
              fields: { listener: this.name, address: `${addr.host}:${addr.port}` },
            },
          ),
        );
      });
      this.#server.listen({ host: addr.host, port: addr.port, backlog: 1024 }, () => {
        this.#server.removeAllListeners('error');
        resolve();
      });
    });
    const bound = this.#server.address() as AddressInfo;
    this.#address = { host: bound.address, port: bound.port };
    return this.#address;
  }

  /** Stops accepting; resolves when all connections are gone. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }
}
