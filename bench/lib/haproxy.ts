// haproxy configurations for the proxy benchmarks: a fixed-response upstream (`http-request
// return`, so the upstream costs a few µs per request in C and is never the bottleneck) and a
// one-hop reference proxy (mode http, one frontend and backend, `http-reuse always`, nbthread 1).

import type { Children, Child } from './children.ts';

/** The small response body every upstream answers with (12 bytes, as in the calibration runs). */
export const RESPONSE_BODY = 'hello world\n';

/** Settings of the `global` section beyond the defaults. */
export interface GlobalOptions {
  /**
   * Connections haproxy accepts (default 4000: under the default file-descriptor limit of a
   * container; haproxy refuses to start when it cannot raise the limit to about 2 × maxconn).
   */
  readonly maxconn?: number;
  /** A UNIX stats socket, for `show info` (connection counters). */
  readonly statsSocket?: string;
  /**
   * Start even when the open-file limit cannot be raised to what maxconn implies (haproxy then
   * warns and serves as many connections as the limit allows).
   */
  readonly noStrictLimits?: boolean;
}

/** The `global` and `defaults` sections every benchmark configuration starts with. */
export function globalSection(o: GlobalOptions = {}): string[] {
  return [
    'global',
    '  nbthread 1',
    `  maxconn ${o.maxconn ?? 4000}`,
    ...(o.noStrictLimits === true ? ['  no strict-limits'] : []),
    ...(o.statsSocket === undefined ? [] : [`  stats socket ${o.statsSocket} mode 600 level user`]),
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
  ];
}

const GLOBAL = globalSection();

/** An upstream answering every request with 200 and RESPONSE_BODY, on an h1 port and an h2c port. */
export function upstreamConfig(h1Port: number, h2Port: number, host = '127.0.0.1'): string {
  const ret = `  http-request return status 200 content-type text/plain string "${RESPONSE_BODY.replace('\n', '\\n')}"`;
  return [
    ...GLOBAL,
    'frontend upstream_h1',
    `  bind ${host}:${h1Port}`,
    ret,
    'frontend upstream_h2',
    `  bind ${host}:${h2Port} proto h2`,
    ret,
    '',
  ].join('\n');
}

/** A one-hop proxy from `listenPort` to `upstreamPort`, HTTP/1.1 or h2c on both sides. */
export function proxyConfig(listenPort: number, upstreamPort: number, protocol: 'http1' | 'h2'): string {
  const h2 = protocol === 'h2' ? ' proto h2' : '';
  return [
    ...GLOBAL,
    '  option http-keep-alive',
    '  http-reuse always',
    'frontend fe',
    `  bind 127.0.0.1:${listenPort}${h2}`,
    '  default_backend be',
    'backend be',
    `  server upstream 127.0.0.1:${upstreamPort}${h2}`,
    '',
  ].join('\n');
}

/** Starts haproxy in the foreground (`-db`) on `configFile`; its pid is the one to account. */
export function startHaproxy(children: Children, name: string, bin: string, configFile: string, cpu?: number): Child {
  return children.start(name, bin, ['-db', '-f', configFile], cpu === undefined ? {} : { cpu });
}
