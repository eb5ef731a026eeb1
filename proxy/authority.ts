// Parsing an HTTP authority (`host`, `host:port`, `[v6]:port`) into a target, for connections that
// reached the proxy directly instead of through iptables.
//
// Contract: parseAuthority is pure; its results are frozen and may be shared. An authority is
// parsed once and remembered (up to MAX_CACHED of them, the cache starts over when full), because
// every request without an original destination asks again for the same few authorities; a caller
// then gets the very same object for the same authority, so caches keyed by the endpoint object hit.

import { isIP } from 'node:net';

export interface Authority {
  readonly host: string;
  readonly port: number;
}

/** Distinct authorities remembered; longer ones than MAX_CACHED_LENGTH are never remembered. */
const MAX_CACHED = 1024;
const MAX_CACHED_LENGTH = 300;
/** Results for the default port 80, by authority text (null: malformed). */
const cache = new Map<string, Authority | null>();
let lastText = '';
let lastResult: Authority | null = null;

/** The host and port of `authority`, `defaultPort` when it has none; undefined when malformed. */
export function parseAuthority(authority: string | undefined, defaultPort = 80): Authority | undefined {
  if (authority === undefined || authority === '') return undefined;
  if (defaultPort !== 80 || authority.length > MAX_CACHED_LENGTH) return parse(authority, defaultPort);
  // Comparing with the last authority is cheaper than hashing a new string for the map.
  if (authority === lastText) return lastResult ?? undefined;
  let parsed = cache.get(authority);
  if (parsed === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    parsed = parse(authority, defaultPort) ?? null;
    cache.set(authority, parsed);
  }
  lastText = authority;
  lastResult = parsed;
  return parsed ?? undefined;
}

function parse(authority: string, defaultPort: number): Authority | undefined {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(authority);
  if (v6 !== null) {
    const port = v6[2] === undefined ? defaultPort : Number(v6[2]);
    return isIP(v6[1] ?? '') === 6 && validPort(port) ? Object.freeze({ host: v6[1] ?? '', port }) : undefined;
  }
  const m = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(authority);
  if (m === null) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  return validPort(port) ? Object.freeze({ host: (m[1] ?? '').toLowerCase(), port }) : undefined;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65_535;
}
