// The tap layers (ADR 0013, "Tap"): `tapLayer` sits at the top of a listener's HTTP stack and
// publishes one event per finished request to the tap hub; `tapEndpointLayer` sits where the
// endpoint is chosen and notes it (address, `dst_*` labels, mesh identity) and the matched route
// on the request's tap record, which every layer in between passes down in its shallow copies.
//
// Contract: while the hub has no session, tapLayer costs one integer check and passes the request
// on untouched; so does it when no session's filter matches. Otherwise the event is built from
// what the stack already reports (stack.ts): the outcome's status and grpc-status, the head's
// commit through onHead (the latency), and for a failure the response the edge synthesizes
// (synthesize.ts: its status, grpc-status and l5d-proxy-error reason). It never changes an outcome.

import { systemClock, type Clock } from '../../src/time/index.ts';
import type { ConnectionContext } from '../connection.ts';
import { synthesize } from '../http/synthesize.ts';
import {
  formatEndpoint,
  type Downstream,
  type Endpoint,
  type EndpointRequest,
  type HeadVerdict,
  type HttpLayer,
  type HttpOutcome,
  type HttpRequest,
  type ResponseHead,
} from '../http/stack.ts';
import type { TapRequestEvent } from '../../src/api/tap-event.ts';
import type { TapHub, TapRequestKey } from './tap-hub.ts';
import { performance } from 'node:perf_hooks';

/** What the tap learns of a request on its way through the stack. */
export interface TapRecord {
  readonly id: number;
  /** performance.now() at arrival. */
  readonly arrivedAt: number;
  /** Epoch milliseconds at arrival. */
  readonly arrivedAtMs: number;
  head: { readonly at: number; readonly status: number; readonly grpcStatus: string | undefined } | undefined;
  /** The endpoint of the last attempt. */
  endpoint: Endpoint | undefined;
  route: string | undefined;
}

/** Carried down the stack while a request is tapped. */
export interface TapFields {
  readonly tap?: TapRecord | undefined;
}

/** The route fields the outbound stack adds (ServiceProfile route, Gateway API rule), as far as the tap reads them. */
interface RouteFieldsSeen {
  readonly route?: { readonly name: string } | undefined;
  readonly httpRoute?: { readonly description: string } | undefined;
}

export interface TapLayerOptions {
  /** This proxy's identity name; undefined with identity disabled. */
  readonly localIdentity: string | undefined;
  readonly clock?: Clock;
}

export function tapLayer(hub: TapHub, opts: TapLayerOptions): HttpLayer<HttpRequest, HttpRequest & TapFields> {
  const clock = opts.clock ?? systemClock;
  return (inner) => {
    const tapped = async (req: HttpRequest): Promise<HttpOutcome> => {
      const target = splitTarget(req.target);
      const key: TapRequestKey = {
        direction: req.conn.direction,
        authority: req.authority ?? target.authority ?? '',
        path: target.path,
        method: req.method,
      };
      if (!hub.wants(key)) return inner(req);
      const record: TapRecord = {
        id: hub.nextId(),
        arrivedAt: performance.now(),
        arrivedAtMs: clock.now(),
        head: undefined,
        endpoint: undefined,
        route: undefined,
      };
      const outer = req.onHead;
      const onHead = (head: ResponseHead): HeadVerdict => {
        const verdict = outer?.(head) ?? 'commit';
        if (verdict === 'commit') {
          record.head ??= { at: performance.now(), status: head.status, grpcStatus: head.grpcStatus };
        }
        return verdict;
      };
      const event = { req, key, record, scheme: target.scheme ?? schemeOf(req), localIdentity: opts.localIdentity };
      let outcome: HttpOutcome;
      try {
        outcome = await inner({ ...req, tap: record, onHead });
      } catch (err) {
        hub.publish(requestEvent(event, failureResult(err, req.grpc, record)));
        throw err;
      }
      hub.publish(
        requestEvent(event, {
          status: outcome.status,
          grpcStatus: outcome.grpcStatus ?? record.head?.grpcStatus,
          proxyError: null,
          error: null,
        }),
      );
      return outcome;
    };
    return (req) => (hub.sessions === 0 ? inner(req) : tapped(req));
  };
}

/** Notes the attempt's endpoint and route on the request's tap record (when it is tapped). */
export function tapEndpointLayer<R extends EndpointRequest & TapFields>(): HttpLayer<R> {
  return (inner) => (req) => {
    const record = req.tap;
    if (record !== undefined) {
      record.endpoint = req.endpoint;
      record.route = routeOf(req);
    }
    return inner(req);
  };
}

interface Result {
  readonly status: number;
  readonly grpcStatus: string | number | undefined;
  readonly proxyError: string | null;
  readonly error: string | null;
}

/** What the client got when the stack failed: the synthesized answer, or a cut-short response. */
function failureResult(err: unknown, grpc: boolean, record: TapRecord): Result {
  const e = synthesize(err);
  const head = record.head;
  if (head !== undefined) {
    return { status: head.status, grpcStatus: head.grpcStatus, proxyError: null, error: e.message };
  }
  // As respondH1Error / respondH2Error answer: gRPC gets 200 with a grpc-status.
  return grpc
    ? { status: 200, grpcStatus: e.grpcStatus, proxyError: e.message, error: null }
    : { status: e.status, grpcStatus: undefined, proxyError: e.message, error: null };
}

interface EventSource {
  readonly req: HttpRequest;
  readonly key: TapRequestKey;
  readonly record: TapRecord;
  readonly scheme: string;
  readonly localIdentity: string | undefined;
}

function requestEvent(source: EventSource, result: Result): TapRequestEvent {
  const { req, key, record, localIdentity } = source;
  const now = performance.now();
  const conn = req.conn;
  const endpoint = record.endpoint;
  let tls: boolean;
  let clientId: string | undefined;
  let serverId: string | undefined;
  if (conn.direction === 'inbound') {
    tls = conn.tls.tls === 'true';
    clientId = conn.tls.client_id;
    serverId = tls ? localIdentity : undefined;
  } else {
    tls = endpoint?.mesh !== undefined && localIdentity !== undefined;
    clientId = tls ? localIdentity : undefined;
    serverId = tls ? endpoint?.mesh?.identity : undefined;
  }
  const grpcStatus = result.grpcStatus === undefined ? null : Number(result.grpcStatus);
  return {
    type: 'request',
    id: record.id,
    ts: new Date(record.arrivedAtMs).toISOString(),
    direction: key.direction,
    method: key.method,
    scheme: source.scheme,
    authority: key.authority,
    path: key.path,
    status: result.status,
    grpcStatus: Number.isInteger(grpcStatus) ? grpcStatus : null,
    latencyMs: round((record.head?.at ?? now) - record.arrivedAt),
    durationMs: round(now - record.arrivedAt),
    clientId: clientId ?? null,
    serverId: serverId ?? null,
    tls,
    srcAddr: clientAddress(conn, req.downstream),
    dstAddr: endpoint === undefined ? null : formatEndpoint(endpoint),
    dstLabels: endpoint?.labels ?? {},
    route: record.route ?? null,
    proxyError: result.proxyError,
    error: result.error,
  };
}

/** The matched route: the layers above the endpoint spread their fields into every attempt. */
function routeOf(req: object): string | undefined {
  const seen = req as RouteFieldsSeen;
  const name = seen.route?.name;
  if (name !== undefined && name !== '') return name;
  return seen.httpRoute?.description;
}

/** Splits a request target into path (with query) and, for the absolute form, scheme and authority. */
export function splitTarget(target: string): { path: string; scheme?: string; authority?: string } {
  if (target.startsWith('/') || target === '*') return { path: target };
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(target);
  if (m === null) return { path: target };
  const rest = m[3] ?? '';
  return {
    scheme: (m[1] ?? 'http').toLowerCase(),
    authority: m[2] ?? '',
    path: rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`,
  };
}

function schemeOf(req: HttpRequest): string {
  const scheme = req.headers[':scheme'];
  return typeof scheme === 'string' && scheme !== '' ? scheme : 'http';
}

function clientAddress(conn: ConnectionContext, down: Downstream): string {
  const port = remotePort(down);
  const ip = conn.clientIp;
  if (port === undefined) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function remotePort(down: Downstream): number | undefined {
  switch (down.kind) {
    case 'h1':
    case 'upgrade':
      return down.req.socket.remotePort;
    case 'h2':
      return down.stream.remotePort;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
