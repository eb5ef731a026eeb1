// The contract every HTTP layer of the proxy shares (STYLE.md rule 7): a layer is
// `(inner: HttpService) => HttpService`, and an HttpService takes one request attempt and resolves
// with its outcome once the response has been delivered (or discarded), or rejects with a
// ProxyError the edge turns into a synthesized response.
//
// The response is written to the client by the innermost service (the forwarder) as it streams,
// never buffered. Layers that must see a response before the client does (retries, the balancer's
// latency and breaker bookkeeping, route timeouts) hook `onHead`: the forwarder calls it with the
// response head before anything reaches the client, and a 'discard' verdict makes it drop that
// response (the upstream exchange is cancelled) and resolve with `committed: false`.
//
// Attempts are plain objects; a layer that changes one (choosing the endpoint, wrapping onHead,
// replaying a buffered body) passes a shallow copy down, so retries never see a previous attempt's
// choices. Fields a layer needs are stated as structural constraints on its input.

import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { ConnectionContext } from '../connection.ts';
import type { H1ServerRequest, H1ServerResponse } from './h1-server/server.ts';
import type { H2ServerExchange } from './h2-server-exchange.ts';
import type { MeshTarget } from '../mesh/mesh-connector.ts';
import type { HeaderEdit } from './header-edit.ts';
import { performance } from 'node:perf_hooks';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** Set for meshed endpoints: reach them over mTLS through their proxy's inbound port. */
  readonly mesh?: MeshTarget;
  /** Discovery metadata for metrics (`dst_*` labels), already prefixed. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Where the response goes: an HTTP/1 exchange, an HTTP/2 stream, or an HTTP/1 Upgrade. */
export type Downstream =
  | { readonly kind: 'h1'; readonly req: H1ServerRequest; readonly res: H1ServerResponse }
  | { readonly kind: 'h2'; readonly stream: H2ServerExchange }
  | { readonly kind: 'upgrade'; readonly req: H1ServerRequest; readonly socket: Duplex; readonly head: Buffer };

/** What a layer may learn of a response before the client sees it. */
export interface ResponseHead {
  readonly status: number;
  /** grpc-status from the headers (trailers-only), or from trailers that followed at once. */
  readonly grpcStatus: string | undefined;
}

export type HeadVerdict = 'commit' | 'discard';

/** Per logical request state shared by all of its attempts. */
export interface RequestState {
  /** Attempts whose outcome some layer recorded in request_total/response_total. */
  attemptsRecorded: number;
  /**
   * performance.now() when the request reached the stack, set only while the stack's first,
   * synchronous run lasts (the edge clears it when the service returns its promise). A layer that
   * starts a latency there takes it instead of reading the clock again (~40 ns a reading); one that
   * runs later (after discovery, a queue, a retry's backoff) finds it undefined and reads the clock.
   */
  syncStartedAt?: number | undefined;
}

/** When a latency measured by a layer starts: the request's arrival if still in its first run. */
export function layerStart(state: RequestState): number {
  return state.syncStartedAt ?? performance.now();
}

export interface HttpRequest {
  readonly conn: ConnectionContext;
  readonly downstream: Downstream;
  readonly method: string;
  /** The request target as received (path and query, or an absolute URI). */
  readonly target: string;
  readonly authority: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly grpc: boolean;
  /** The request body for this attempt; undefined means the downstream request itself. */
  readonly body?: Readable;
  /** Headers added to / removed from the forwarded request. */
  readonly addHeaders?: Readonly<Record<string, string>> | undefined;
  readonly dropHeaders?: readonly string[] | undefined;
  /** Edits of the response head before it reaches the client (Gateway API ResponseHeaderModifier). */
  readonly responseHeaderEdits?: readonly HeaderEdit[] | undefined;
  readonly state: RequestState;
  /** Set by the layer that chooses where the attempt goes. */
  readonly endpoint?: Endpoint;
  /** Called with the response head before it reaches the client (see the file header). */
  readonly onHead?: (head: ResponseHead) => HeadVerdict;
  /** Aborting it before the response head is committed cancels the attempt with the reason. */
  readonly signal?: AbortSignal;
  /**
   * gRPC over HTTP/2: before calling onHead, look whether trailers (a grpc-status) follow the
   * response headers at once. Set by the retry layer, the only one whose decision needs it.
   */
  readonly peekTrailers?: boolean;
}

export interface HttpOutcome {
  readonly status: number;
  readonly grpcStatus: string | undefined;
  /** False when onHead discarded the response: nothing was written to the client. */
  readonly committed: boolean;
}

export type HttpService<R extends HttpRequest = HttpRequest> = (req: R) => Promise<HttpOutcome>;

export type HttpLayer<In extends HttpRequest = HttpRequest, Out extends HttpRequest = In> = (
  inner: HttpService<Out>,
) => HttpService<In>;

/**
 * `inner(req)` for a layer's pass-through path, without an async function of its own (which would
 * cost a promise and microtask turns per request per layer): a synchronous throw becomes a
 * rejection, as it would in an async function.
 */
export function callInner<R extends HttpRequest>(inner: HttpService<R>, req: R): Promise<HttpOutcome> {
  try {
    return inner(req);
  } catch (err) {
    return rejection(err);
  }
}

/** What an async function returns when its body throws `err`: a promise rejected with it. */
export function rejection(err: unknown): Promise<never> {
  return Promise.reject(err instanceof Error ? err : new Error(String(err)));
}

/** An attempt whose endpoint has been chosen. */
export type EndpointRequest = HttpRequest & { readonly endpoint: Endpoint };

/** The last endpoint formatted: requests in a row mostly go to the same endpoint. */
let lastHost = '';
let lastPort = -1;
let lastText = '';

/** `host:port` (`[v6]:port`); the same string object for the same endpoint twice in a row (a pool key). */
export function formatEndpoint(endpoint: { readonly host: string; readonly port: number }): string {
  const { host, port } = endpoint;
  if (port === lastPort && host === lastHost) return lastText;
  lastHost = host;
  lastPort = port;
  lastText = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return lastText;
}
