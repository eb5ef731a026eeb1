// Parsing an HTTP authority (`host`, `host:port`, `[v6]:port`) into a target, for connections that
// reached the proxy directly instead of through iptables.

import { isIP } from 'node:net';

export interface Authority {
  readonly host: string;
  readonly port: number;
}

/** The host and port of `authority`, `defaultPort` when it has none; undefined when malformed. */
export function parseAuthority(authority: string | undefined, defaultPort = 80): Authority | undefined {
  if (authority === undefined || authority === '') return undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(authority);
  if (v6 !== null) {
    const port = v6[2] === undefined ? defaultPort : Number(v6[2]);
    return isIP(v6[1] ?? '') === 6 && validPort(port) ? { host: v6[1] ?? '', port } : undefined;
  }
  const m = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(authority);
  if (m === null) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  return validPort(port) ? { host: (m[1] ?? '').toLowerCase(), port } : undefined;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65_535;
}
