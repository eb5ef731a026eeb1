// What the proxy knows about an accepted connection, attached to its socket so the HTTP layers
// (the HTTP/1 server and the HTTP/2 connections, which receive the socket) can read it.

import type { Socket } from 'node:net';
import type { SocketAddressPort } from './transport/original-dst.ts';

export type Direction = 'inbound' | 'outbound';

/** Linkerd's TLS metric labels for a connection. */
export interface TlsLabels {
  readonly tls: string;
  readonly no_tls_reason?: string;
  readonly client_id?: string;
  readonly server_id?: string;
}

export interface ConnectionContext {
  readonly direction: Direction;
  /** The address the client dialled when iptables redirected it; undefined for direct connections. */
  readonly origDst: SocketAddressPort | undefined;
  /** The proxy's own address on this connection (IPv4-mapped prefixes removed). */
  readonly localAddress: string;
  /** The client's address (IPv4-mapped prefixes removed). */
  readonly clientIp: string;
  readonly localPort: number;
  readonly tls: TlsLabels;
}

const CONNECTION = Symbol('nodemesh.connection');

export function attachContext(socket: Socket, ctx: ConnectionContext): void {
  (socket as unknown as Record<symbol, ConnectionContext>)[CONNECTION] = ctx;
}

export function contextOf(socket: unknown): ConnectionContext | undefined {
  if (socket === null || typeof socket !== 'object') return undefined;
  return (socket as Record<symbol, ConnectionContext | undefined>)[CONNECTION];
}
