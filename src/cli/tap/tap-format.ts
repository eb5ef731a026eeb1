// How `nodemesh tap` shows a request to people: one line of key=value pairs, in the spirit of
// Linkerd's `tap` (`req id=… :method=GET :authority=… :path=…`, then the response's status and
// timings on the same line, since the proxy reports a request once it has finished). `-o wide`
// adds the time, the identities, the route and the destination's labels.
//
// Contract: pure functions; a value with spaces, quotes or an empty value is quoted as JSON.

import type { TapRequestLine } from './tap-line.ts';

export function formatRequest(e: TapRequestLine, wide: boolean): string {
  const parts: string[] = ['req', kv('id', String(e.id))];
  if (wide) parts.push(kv('ts', e.ts));
  parts.push(
    kv('proxy', e.direction === 'inbound' ? 'in' : e.direction === 'outbound' ? 'out' : e.direction),
    kv('src', e.srcAddr),
    kv('dst', e.dstAddr ?? '-'),
    kv('tls', String(e.tls)),
    kv(':method', e.method),
    kv(':authority', e.authority),
    kv(':path', e.path),
    kv(':status', String(e.status)),
  );
  if (e.grpcStatus !== null) parts.push(kv('grpc-status', String(e.grpcStatus)));
  parts.push(kv('latency', formatMs(e.latencyMs)), kv('duration', formatMs(e.durationMs)));
  if (e.proxyError !== null) parts.push(kv('proxy-error', e.proxyError));
  if (e.error !== null) parts.push(kv('error', e.error));
  if (wide) {
    if (e.clientId !== null) parts.push(kv('client-id', e.clientId));
    if (e.serverId !== null) parts.push(kv('server-id', e.serverId));
    if (e.route !== null) parts.push(kv('route', e.route));
    for (const [name, value] of Object.entries(e.dstLabels).sort(([a], [b]) => a.localeCompare(b))) {
      parts.push(kv(name, value));
    }
  }
  return parts.join(' ');
}

/** The stderr note for a `dropped` line. */
export function formatDropped(count: number, total: number, rate: string | undefined): string {
  return `tap: the proxy dropped ${count} request${count === 1 ? '' : 's'} (${total} in all) over the rate of ${rate ?? '100'} a second; raise --rate or narrow the filters`;
}

/** 0.42ms, 1.42ms, 14.2ms, 142ms, 1420ms. */
export function formatMs(ms: number): string {
  if (ms < 9.995) return `${ms.toFixed(2)}ms`;
  if (ms < 99.95) return `${ms.toFixed(1)}ms`;
  return `${Math.round(ms)}ms`;
}

function kv(key: string, value: string): string {
  return value === '' || /[\s"\\]/.test(value) ? `${key}=${JSON.stringify(value)}` : `${key}=${value}`;
}
