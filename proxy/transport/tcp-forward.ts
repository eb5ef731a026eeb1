// Opaque TCP forwarding: connect to the target and copy bytes both ways, respecting half-close
// (one side's FIN is passed on while the other direction keeps flowing).
//
// Contract: forwardTcp resolves once both sockets are closed, with the byte counts and, when
// something failed, where (connect or stream) and the errno. It never throws; it destroys both
// sockets on any error. The client socket must have been accepted with allowHalfOpen.

import { connect, type Socket } from 'node:net';

export interface TcpTarget {
  readonly host: string;
  readonly port: number;
}

export interface TcpForwardOptions {
  readonly connectTimeoutMs: number;
  /** Bytes already read from the client (detection) that must go first. */
  readonly initial?: Buffer;
  /** The client already half-closed (its FIN arrived during detection). */
  readonly clientEnded?: boolean;
  readonly onConnected?: (upstream: Socket) => void;
  /** Opens the upstream another way (meshed endpoints: mTLS to the peer proxy). */
  readonly open?: () => { readonly socket: Socket; readonly readyEvent: 'connect' | 'secureConnect' };
}

export type TcpOutcome =
  | { readonly kind: 'ok'; readonly bytesFromClient: number; readonly bytesFromServer: number }
  | {
      readonly kind: 'error';
      readonly stage: 'connect' | 'stream';
      readonly errno: string;
      readonly message: string;
      readonly bytesFromClient: number;
      readonly bytesFromServer: number;
    };

export function forwardTcp(client: Socket, target: TcpTarget, opts: TcpForwardOptions): Promise<TcpOutcome> {
  return new Promise((resolve) => {
    let opened: { readonly socket: Socket; readonly readyEvent: 'connect' | 'secureConnect' };
    try {
      opened = opts.open?.() ?? {
        socket: connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true }),
        readyEvent: 'connect' as const,
      };
    } catch (err) {
      client.destroy();
      const message = err instanceof Error ? err.message : String(err);
      resolve({ kind: 'error', stage: 'connect', errno: 'EIO', message, bytesFromClient: 0, bytesFromServer: 0 });
      return;
    }
    const upstream = opened.socket;
    let connected = false;
    let failure: { stage: 'connect' | 'stream'; errno: string; message: string } | undefined;
    let closed = 0;
    const timer = setTimeout(() => {
      fail(
        'connect',
        Object.assign(
          new Error(`connect to ${target.host}:${target.port} timed out after ${opts.connectTimeoutMs} ms`),
          { code: 'ETIMEDOUT' },
        ),
      );
    }, opts.connectTimeoutMs);

    function fail(stage: 'connect' | 'stream', err: Error): void {
      failure ??= { stage, errno: (err as NodeJS.ErrnoException).code ?? 'EIO', message: err.message };
      clearTimeout(timer);
      upstream.destroy();
      client.destroy();
    }
    const onClosed = (): void => {
      if (++closed < 2) return;
      clearTimeout(timer);
      const counts = { bytesFromClient: upstream.bytesWritten, bytesFromServer: upstream.bytesRead };
      resolve(failure === undefined ? { kind: 'ok', ...counts } : { kind: 'error', ...failure, ...counts });
    };
    upstream.once('close', onClosed);
    client.once('close', onClosed);
    upstream.on('error', (err) => fail(connected ? 'stream' : 'connect', err));
    client.on('error', (err) => fail('stream', err));
    upstream.once(opened.readyEvent, () => {
      connected = true;
      clearTimeout(timer);
      opts.onConnected?.(upstream);
      if (opts.initial !== undefined && opts.initial.length > 0) upstream.write(opts.initial);
      if (opts.clientEnded === true) upstream.end();
      else client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    if (client.destroyed) fail('stream', new Error('client closed before the upstream connected'));
  });
}
