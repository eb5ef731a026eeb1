// Reading the lines of a tap stream as `nodemesh tap` receives them: the proxy's newline-delimited
// JSON (its wire form is src/api/tap-event.ts; ADR 0013, "Tap"), read defensively: a proxy of
// another version may add fields or line types, which are kept (`unknown`) rather than refused.
//
// Contract: parseTapLine answers undefined only for text that is not a JSON object.

import type { TapRequestEvent } from '../../api/tap-event.ts';

/** A request line; `direction` stays a string, so a newer proxy's new value is shown, not refused. */
export type TapRequestLine = Omit<TapRequestEvent, 'direction'> & { readonly direction: string };

export type TapLine =
  | TapRequestLine
  | { readonly type: 'dropped'; readonly count: number; readonly total: number }
  | { readonly type: 'end'; readonly reason: string }
  | { readonly type: 'unknown' };

export function parseTapLine(text: string): TapLine | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  switch (o.type) {
    case 'request':
      return {
        type: 'request',
        id: num(o.id),
        ts: str(o.ts),
        direction: str(o.direction),
        method: str(o.method),
        scheme: str(o.scheme),
        authority: str(o.authority),
        path: str(o.path),
        status: num(o.status),
        grpcStatus: typeof o.grpcStatus === 'number' ? o.grpcStatus : null,
        latencyMs: num(o.latencyMs),
        durationMs: num(o.durationMs),
        clientId: strOrNull(o.clientId),
        serverId: strOrNull(o.serverId),
        tls: o.tls === true,
        srcAddr: str(o.srcAddr),
        dstAddr: strOrNull(o.dstAddr),
        dstLabels: labels(o.dstLabels),
        route: strOrNull(o.route),
        proxyError: strOrNull(o.proxyError),
        error: strOrNull(o.error),
      };
    case 'dropped':
      return { type: 'dropped', count: num(o.count), total: num(o.total) };
    case 'end':
      return { type: 'end', reason: str(o.reason) };
    default:
      return { type: 'unknown' };
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function labels(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
