// The original destination of a connection that iptables redirected to the proxy, read with
// getsockopt(SO_ORIGINAL_DST) through koffi (Node has no API for it; linkerd.md §4.2).
//
// Contract: originalDestination(socket) returns the address the client dialled, or undefined when
// the socket has no conntrack entry (not redirected, or not Linux). A connection that was not
// redirected reports the proxy's own listening address; the caller detects that (isSelf) to refuse
// loops and to route by HTTP authority instead. koffi is loaded on first use only.

import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { formatIpv6 } from '../../src/api/index.ts';
import { Buffer } from 'node:buffer';

export interface SocketAddressPort {
  readonly host: string;
  readonly port: number;
}

/** Reads a socket's original destination; a fake in tests. */
export interface OriginalDestinationReader {
  read(socket: Socket): SocketAddressPort | undefined;
}

const SOL_IP = 0;
const SOL_IPV6 = 41;
const SO_ORIGINAL_DST = 80;

type GetSockOpt = (fd: number, level: number, name: number, out: Uint8Array, len: number[]) => number;

let getsockopt: GetSockOpt | null | undefined;

function load(): GetSockOpt | null {
  if (getsockopt !== undefined) return getsockopt;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as {
      load(lib: string): { func(decl: string): GetSockOpt };
    };
    getsockopt = koffi
      .load('libc.so.6')
      .func('int getsockopt(int fd, int level, int optname, _Out_ uint8_t *optval, _Inout_ uint32_t *optlen)');
  } catch {
    getsockopt = null;
  }
  return getsockopt;
}

/** The production reader: SO_ORIGINAL_DST on Linux, nothing elsewhere. */
export const soOriginalDst: OriginalDestinationReader = {
  read(socket) {
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    const fn = load();
    if (fn === null || typeof fd !== 'number' || fd < 0) return undefined;
    const v6 = socket.localFamily === 'IPv6' && !(socket.localAddress ?? '').startsWith('::ffff:');
    const buf = new Uint8Array(v6 ? 28 : 16);
    const len = [buf.length];
    if (fn(fd, v6 ? SOL_IPV6 : SOL_IP, SO_ORIGINAL_DST, buf, len) !== 0) return undefined;
    return decodeSockaddr(Buffer.from(buf.buffer, buf.byteOffset, buf.length));
  },
};

/** Decodes a sockaddr_in or sockaddr_in6 (port big-endian). */
export function decodeSockaddr(buf: Buffer): SocketAddressPort | undefined {
  const family = buf.readUInt16LE(0);
  const port = buf.readUInt16BE(2);
  if (family === 2 && buf.length >= 8) return { host: `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`, port };
  if (family === 10 && buf.length >= 24) {
    const hextets: number[] = [];
    for (let i = 0; i < 8; i++) hextets.push(buf.readUInt16BE(8 + i * 2));
    return { host: formatIpv6(hextets), port };
  }
  return undefined;
}

/** Strips the IPv4-mapped prefix (`::ffff:10.0.0.1` → `10.0.0.1`). */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
