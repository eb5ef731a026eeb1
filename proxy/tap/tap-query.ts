// The query of GET /tap: filters (direction, authority, path prefix, method), the event limit and
// the rate, checked at the edge (ADR 0013, "Tap").
//
// Contract: parseTapQuery answers the session's settings, or the first bad parameter with its
// value and what is allowed (the server answers 400 with it). Unknown and repeated parameters are
// bad; an empty value counts as absent. `rate` defaults to 100 a second and is lowered to the
// proxy's NODEMESH_PROXY_TAP_MAX_RATE when above it (the answer says which rate applies).

import type { Direction } from '../connection.ts';
import type { TapFilter } from './tap-hub.ts';

export const TAP_PARAMETERS = ['direction', 'authority', 'path', 'method', 'limit', 'rate'] as const;
export const DEFAULT_TAP_RATE = 100;
const DIRECTIONS: readonly Direction[] = ['inbound', 'outbound'];
const MAX_COUNT = 1_000_000_000;
/** RFC 9110 token characters. */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
/** Visible ASCII, no spaces, as a host[:port]. */
const AUTHORITY = /^[\x21-\x7e]{1,1024}$/;

export interface TapQuery {
  readonly filter: TapFilter;
  readonly limit: number | undefined;
  /** Requests a second, already capped. */
  readonly rate: number;
}

export interface TapQueryProblem {
  readonly parameter: string;
  readonly value: string;
  readonly allowed: string;
}

export type TapQueryResult =
  { readonly kind: 'ok'; readonly query: TapQuery } | { readonly kind: 'bad'; readonly problem: TapQueryProblem };

export function parseTapQuery(params: URLSearchParams, opts: { readonly maxRate: number }): TapQueryResult {
  const values = new Map<string, string>();
  for (const [name, value] of params) {
    if (!(TAP_PARAMETERS as readonly string[]).includes(name)) {
      return bad(name, value, `one of the parameters ${TAP_PARAMETERS.join(', ')}`);
    }
    if (values.has(name)) return bad(name, value, 'one value (the parameter is repeated)');
    if (value !== '') values.set(name, value);
  }

  const direction = values.get('direction');
  if (direction !== undefined && !DIRECTIONS.includes(direction as Direction)) {
    return bad('direction', direction, DIRECTIONS.join(' or '));
  }
  const authority = values.get('authority');
  if (authority !== undefined && !AUTHORITY.test(authority)) {
    return bad(
      'authority',
      authority,
      'a host[:port] in visible ASCII without spaces, e.g. web.shop.svc.cluster.local:80',
    );
  }
  const path = values.get('path');
  if (path !== undefined && !path.startsWith('/') && path !== '*') {
    return bad('path', path, "a path prefix starting with '/', e.g. /api");
  }
  const method = values.get('method');
  if (method !== undefined && !METHOD.test(method)) {
    return bad('method', method, 'an HTTP method, e.g. GET or POST');
  }
  const limit = count(values.get('limit'));
  if (limit === 'bad') return bad('limit', values.get('limit') ?? '', `an integer from 1 to ${MAX_COUNT}`);
  const rate = count(values.get('rate'));
  if (rate === 'bad')
    return bad('rate', values.get('rate') ?? '', `an integer from 1 to ${MAX_COUNT} (requests a second)`);

  return {
    kind: 'ok',
    query: {
      filter: {
        direction: direction as Direction | undefined,
        authority: authority?.toLowerCase(),
        path,
        method: method?.toUpperCase(),
      },
      limit,
      rate: Math.min(rate ?? DEFAULT_TAP_RATE, opts.maxRate),
    },
  };
}

function count(text: string | undefined): number | undefined | 'bad' {
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text)) return 'bad';
  const n = Number(text);
  return n >= 1 && n <= MAX_COUNT ? n : 'bad';
}

function bad(parameter: string, value: string, allowed: string): TapQueryResult {
  return { kind: 'bad', problem: { parameter, value, allowed } };
}
