// Forwarding HTTP/2 streams (and so gRPC) to an endpoint over one multiplexed HTTP/2 connection per
// endpoint on the proxy's own HTTP/2 client (proxy/h2/, ADR 0020; h2-client-pool.ts), with flow
// control end to end (bodies are streamed with backpressure: the upstream's window is credited only
// once the client side took the bytes) and trailers and trailers-only responses passed through
// unchanged.
//
// Contract: forwardH2 resolves with the response status and grpc-status once the client stream is
// finished and closed (or the response was discarded by the attempt's onHead, see stack.ts), or rejects with
// ProxyError (before the response started the caller synthesizes an error; after, the client
// stream is reset). For gRPC attempts marked peekTrailers (retryable routes only, as in Linkerd),
// onHead is asked once the first message or the trailers arrive, so a grpc-status sent in trailers
// right after the headers is classified before anything reaches the client. A response whose
// frames all arrived in the read that carried its head goes to the client in one step: head, body
// and END_STREAM (or trailers) together. An HTTP/2 client's request body that only this attempt
// reads (no retry buffers it) is relayed from the client's stream to the upstream stream directly
// (H2ServerExchange.relayBody), without a Readable in between.

import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import {
  H2_ERROR,
  H2ConnectionError,
  H2StreamError,
  fieldValue,
  type H2Stream,
  type H2StreamHandler,
} from '../h2/index.ts';
import { isEmptyBody } from './empty-body.ts';
import { editHeaderRecord } from './header-edit.ts';
import { h2FieldsRecord, h2RequestFields } from './h2-headers.ts';
import type { H2ClientPool, PooledH2 } from './h2-client-pool.ts';
import type { BodyRelay, H2ServerExchange } from './h2-server-exchange.ts';
import type { ResponseSink } from './response-sink.ts';
import { ProxyError, upstreamError } from './proxy-error.ts';
import { formatEndpoint, type EndpointRequest, type HttpOutcome, type ResponseHead } from './stack.ts';
import { Buffer } from 'node:buffer';

export { H2ClientPool } from './h2-client-pool.ts';

/**
 * Where an attempt's request body comes from: a Readable (an HTTP/1 request's body, emptyBody(), or
 * a retry's replayable copy), the HTTP/2 client's stream to relay it from, or none.
 */
export type H2RequestBody = Readable | H2ServerExchange | undefined;

/**
 * Forwards an attempt over HTTP/2 to its endpoint: an HTTP/2 request as it is, or an HTTP/1 request
 * (`body` its request body, or emptyBody()) upgraded to HTTP/2 with `l5d-orig-proto` for a peer
 * proxy. The attempt's own body (a retry's), when it has one, is sent instead of `body`.
 */
export function forwardH2(
  attempt: EndpointRequest,
  sink: ResponseSink,
  body: H2RequestBody,
  pool: H2ClientPool,
): Promise<HttpOutcome> {
  // A usable connection is used at once; only a meshed one still in its handshake costs a promise turn.
  const ready = pool.pick(attempt.endpoint);
  if (ready !== undefined) return new H2Forward(attempt, sink, body, ready).run();
  return pool.connection(attempt.endpoint).then((pooled) => new H2Forward(attempt, sink, body, pooled).run());
}

/** True when `body` will never yield a byte: none, ended, or an emptyBody(). */
function bodyEnded(body: Readable | undefined): boolean {
  return body === undefined || body.readableEnded || isEmptyBody(body);
}

function isExchange(body: H2RequestBody): body is H2ServerExchange {
  return body !== undefined && 'relayBody' in body;
}

function noop(): void {}

type Phase =
  /** No response head yet. */
  | 'waiting'
  /** gRPC on a retryable route: the head waits for the first message or the trailers. */
  | 'peeking'
  /** The head waits for the end of the read that carried it (a small response arrives whole). */
  | 'holding'
  /** The head went to the client; the body streams. */
  | 'streaming'
  | 'done';

/**
 * One attempt, as the handler of its upstream stream. A Readable request body is forwarded with
 * 'data' listeners and pause/resume on backpressure; a relayed one arrives through relayData and
 * relayEnd (BodyRelay), its credit held back while the upstream stream is backed up; a request
 * without a body goes out as HEADERS with END_STREAM.
 */
class H2Forward implements H2StreamHandler, BodyRelay {
  readonly #attempt: EndpointRequest;
  readonly #sink: ResponseSink;
  #body: Readable | undefined;
  /** The client's stream the body is relayed from, while it is. */
  #relayFrom: H2ServerExchange | undefined;
  readonly #pooled: PooledH2;
  #upstream: H2Stream | undefined;
  #phase: Phase = 'waiting';
  #settled = false;
  #committed = false;
  #status = 0;
  #grpcStatus: string | undefined;
  #head: OutgoingHttpHeaders | undefined;
  /** Body bytes held with the head ('peeking', 'holding'). */
  #held: Buffer[] | undefined;
  #heldBytes = 0;
  /** The upstream ended its response (END_STREAM or trailers). */
  #ended = false;
  #trailers: OutgoingHttpHeaders | undefined;
  /** Response bytes written to a client that asked us to wait: credited to the upstream on 'drain'. */
  #unconsumed = 0;
  #waitingDrain = false;
  #resolve: (r: HttpOutcome) => void = noop;
  #reject: (e: ProxyError) => void = noop;
  #offClose: (() => void) | undefined;
  /** Set while the request body is being forwarded. */
  #requestData: ((chunk: Buffer) => void) | undefined;
  #requestEnd: (() => void) | undefined;
  /** Made when first needed: most attempts have no deadline and never wait for the client. */
  #onAbortFn: (() => void) | undefined;
  #onSinkDrainFn: (() => void) | undefined;

  constructor(attempt: EndpointRequest, sink: ResponseSink, body: H2RequestBody, pooled: PooledH2) {
    this.#attempt = attempt;
    this.#sink = sink;
    const own = attempt.body ?? body;
    if (isExchange(own)) {
      if (own.endAfterHeaders) this.#body = undefined;
      else this.#relayFrom = own;
    } else this.#body = own;
    this.#pooled = pooled;
  }

  /** host:port of the endpoint, for error messages only. */
  get #target(): string {
    return formatEndpoint(this.#attempt.endpoint);
  }

  run(): Promise<HttpOutcome> {
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#start();
    });
  }

  #start(): void {
    const attempt = this.#attempt;
    const body = this.#body;
    const relayFrom = this.#relayFrom;
    const noBody = relayFrom === undefined && bodyEnded(body);
    let upstream: H2Stream;
    try {
      upstream = this.#pooled.conn.request(h2RequestFields(attempt), noBody);
    } catch (err) {
      this.#fail(upstreamError(err, this.#target, this.#pooled.connected));
      return;
    }
    this.#upstream = upstream;
    upstream.handler = this;
    const signal = attempt.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#abort();
        return;
      }
      signal.addEventListener('abort', (this.#onAbortFn = () => this.#abort()), { once: true });
    }
    this.#offClose = this.#sink.onClose(() => this.#clientClosed());
    if (relayFrom !== undefined) {
      // Not when the client has gone already: #clientClosed then stopped the relay before it began.
      if (this.#relayFrom !== undefined && !relayFrom.relayBody(this)) {
        // Someone took the body as a Readable first: forward that.
        this.#relayFrom = undefined;
        this.#body = relayFrom.body;
        this.#forwardRequestBody(this.#body, upstream);
      }
    } else if (!noBody) this.#forwardRequestBody(body!, upstream);
  }

  // --- the relayed request body (BodyRelay) ------------------------------------------------------

  relayData(chunk: Buffer): boolean {
    const upstream = this.#upstream!;
    if (upstream.closed) return true;
    return upstream.write(chunk);
  }

  relayEnd(): void {
    this.#relayFrom = undefined;
    this.#upstream!.end();
  }

  // --- the upstream stream's handler ------------------------------------------------------------

  headers(fields: string[], endStream: boolean): void {
    if (this.#phase === 'done') return;
    if (this.#phase === 'waiting') {
      this.#onResponseHead(fields, endStream);
      return;
    }
    // Trailers.
    const trailers = h2FieldsRecord(fields);
    this.#trailers = trailers;
    const grpcStatus = fieldValue(fields, 'grpc-status');
    if (grpcStatus !== undefined) this.#grpcStatus = grpcStatus;
    this.#ended = true;
    if (this.#phase === 'peeking') this.#commit();
    else if (this.#phase === 'streaming') this.#finishStreaming();
    // 'holding': flush() sends the whole response.
  }

  data(chunk: Buffer, endStream: boolean): void {
    const phase = this.#phase;
    if (phase === 'done' || phase === 'waiting') return;
    if (endStream) this.#ended = true;
    if (phase === 'streaming') {
      this.#writeBody(chunk);
      if (endStream) this.#finishStreaming();
      return;
    }
    if (chunk.length > 0) {
      (this.#held ??= []).push(chunk);
      this.#heldBytes += chunk.length;
    }
    if (phase === 'peeking') this.#commit();
  }

  flush(): void {
    if (this.#phase === 'holding') this.#commit();
  }

  drain(): void {
    if (this.#relayFrom !== undefined) this.#relayFrom.relayRoom();
    else if (this.#requestData !== undefined) this.#body?.resume();
  }

  reset(code: number, err: Error | undefined): void {
    if (this.#settled || this.#phase === 'done') return;
    if (code === H2_ERROR.NO_ERROR && err === undefined && this.#phase !== 'waiting') {
      // RST_STREAM(NO_ERROR) after a response: "stop sending the request" (RFC 9113 §8.1). node:http2
      // servers send it instead of END_STREAM when they end a stream whose request they did not
      // read; the response is complete as it stands.
      this.#ended = true;
      if (this.#phase === 'streaming') this.#finishStreaming();
      else this.#commit();
      return;
    }
    if (this.#phase === 'holding') {
      // The head (and maybe some body) had arrived: the response has started, so the client sees
      // it, then the reset.
      this.#commit();
      if (this.#settled || !this.#committed) return;
    }
    this.#stopRequestBody();
    if (!this.#committed) {
      this.#phase = 'done';
      this.#detach();
      const cause =
        err ??
        Object.assign(new Error(`${this.#target} reset the stream (code ${code})`), { code: 'ERR_HTTP2_STREAM_RESET' });
      if (!this.#settled) this.#fail(this.#upstreamError(cause));
      return;
    }
    // Mid-response: the client's stream is reset too; the attempt was delivered as far as it went.
    this.#phase = 'done';
    this.#detach();
    this.#sink.reset(code === H2_ERROR.NO_ERROR ? H2_ERROR.CANCEL : code);
    this.#fulfil(true);
  }

  // --- the response ------------------------------------------------------------------------------

  #onResponseHead(fields: string[], endStream: boolean): void {
    this.#status = Number(fieldValue(fields, ':status') ?? 502);
    this.#grpcStatus = fieldValue(fields, 'grpc-status');
    let rest = h2FieldsRecord(fields);
    const edits = this.#attempt.responseHeaderEdits;
    if (edits !== undefined) rest = editHeaderRecord(rest, edits);
    this.#head = rest;
    if (endStream) {
      // A response with END_STREAM on its HEADERS is complete (gRPC trailers-only responses).
      this.#ended = true;
      this.#commit();
    } else if (this.#attempt.peekTrailers === true && this.#attempt.grpc) {
      // gRPC on a retryable route: wait for the first message or the trailers (Linkerd's
      // PeekTrailersBody), so that a status sent in trailers right after the headers decides the
      // retry. A server that sends its headers and then nothing holds its response head until it does.
      this.#phase = 'peeking';
    } else this.#phase = 'holding';
  }

  /** Asks onHead, then sends the head (and what arrived with it) to the client. */
  #commit(): void {
    if (this.#onAbortFn !== undefined) this.#attempt.signal?.removeEventListener('abort', this.#onAbortFn);
    const verdict: ResponseHead = { status: this.#status, grpcStatus: this.#grpcStatus };
    if (this.#attempt.onHead?.(verdict) === 'discard') {
      this.#discard();
      return;
    }
    this.#committed = true;
    const sink = this.#sink;
    const head = this.#head!;
    const held = this.#held;
    const heldBytes = this.#heldBytes;
    this.#held = undefined;
    this.#heldBytes = 0;
    if (sink.gone()) {
      this.#phase = 'done';
      return;
    }
    if (this.#ended) {
      this.#phase = 'done';
      const body = held === undefined ? undefined : held.length === 1 ? held[0] : Buffer.concat(held, heldBytes);
      if (body === undefined && this.#trailers === undefined) sink.respond(this.#status, head, true);
      else sink.respondWhole(this.#status, head, body, this.#trailers);
      this.#consumed(heldBytes);
      this.#complete();
      return;
    }
    this.#phase = 'streaming';
    sink.respond(this.#status, head, false);
    if (held !== undefined) for (const chunk of held) this.#writeBody(chunk);
  }

  #writeBody(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const out = this.#sink.body;
    if (out.destroyed) return;
    if (out.write(chunk) && !this.#waitingDrain) this.#consumed(chunk.length);
    else {
      this.#unconsumed += chunk.length;
      if (!this.#waitingDrain) {
        this.#waitingDrain = true;
        out.once('drain', (this.#onSinkDrainFn ??= () => this.#sinkDrained()));
      }
    }
  }

  #sinkDrained(): void {
    this.#waitingDrain = false;
    const n = this.#unconsumed;
    this.#unconsumed = 0;
    this.#consumed(n);
  }

  #consumed(n: number): void {
    if (n > 0) this.#upstream?.consumed(n);
  }

  #finishStreaming(): void {
    this.#phase = 'done';
    const sink = this.#sink;
    if (this.#trailers !== undefined) sink.setTrailers(this.#trailers);
    if (!sink.body.destroyed) sink.body.end();
    this.#complete();
  }

  /**
   * The whole response is with the client side. The attempt settles when the client stream closes
   * (#clientClosed): until then the sink may still be sending (trailers wait for the body to drain).
   */
  #complete(): void {
    this.#stopRequestBodyIfDone();
    if (this.#onAbortFn !== undefined) this.#attempt.signal?.removeEventListener('abort', this.#onAbortFn);
  }

  // --- the request body --------------------------------------------------------------------------

  #forwardRequestBody(body: Readable, upstream: H2Stream): void {
    this.#requestData = (chunk: Buffer) => {
      if (upstream.closed) return;
      if (!upstream.write(chunk)) body.pause();
    };
    this.#requestEnd = () => {
      this.#requestData = undefined;
      this.#stopRequestBody();
      upstream.end();
    };
    body.on('data', this.#requestData);
    body.once('end', this.#requestEnd);
  }

  /** The response ended before the request body: the body keeps streaming unless the upstream stream is closed. */
  #stopRequestBodyIfDone(): void {
    if (this.#upstream?.closed === true) this.#stopRequestBody();
  }

  /** Stops reading the request body: listeners off, the body paused (or the relay stopped). */
  #stopRequestBody(): void {
    if (this.#relayFrom !== undefined) {
      this.#relayFrom.stopRelay();
      this.#relayFrom = undefined;
      return;
    }
    const body = this.#body;
    const onData = this.#requestData;
    if (body === undefined) return;
    if (onData !== undefined) body.removeListener('data', onData);
    this.#requestData = undefined;
    if (this.#requestEnd !== undefined) body.removeListener('end', this.#requestEnd);
    this.#requestEnd = undefined;
    if (onData !== undefined && !body.readableEnded) body.pause();
  }

  // --- ends ---------------------------------------------------------------------------------------

  /** Drops the response: the upstream stream is cancelled and the client sees nothing of it. */
  #discard(): void {
    this.#phase = 'done';
    this.#stopRequestBody();
    this.#detach();
    this.#upstream?.reset(H2_ERROR.CANCEL);
    this.#fulfil(false);
  }

  #abort(): void {
    if (this.#committed || this.#settled) return;
    this.#phase = 'done';
    this.#stopRequestBody();
    this.#upstream?.reset(H2_ERROR.CANCEL);
    this.#detach();
    const reason: unknown = this.#attempt.signal?.reason;
    this.#fail(
      reason instanceof ProxyError
        ? reason
        : new ProxyError('response-timeout', `request to ${this.#target} was cancelled`),
    );
  }

  #clientClosed(): void {
    const wasDone = this.#phase === 'done';
    this.#phase = 'done';
    // A response that went through whole leaves nothing to cancel upstream.
    if (!wasDone || !this.#ended) this.#upstream?.reset(H2_ERROR.CANCEL);
    this.#stopRequestBody();
    this.#detach();
    if (this.#committed || wasDone) {
      this.#fulfil(true);
    } else {
      if (!this.#settled)
        this.#fail(new ProxyError('upstream-reset', `the client cancelled the stream to ${this.#target}`));
    }
  }

  #upstreamError(err: Error): ProxyError {
    // A connected peer that broke HTTP/2 (or reset the stream for a malformed message) reset the request.
    if (this.#pooled.connected && (err instanceof H2ConnectionError || err instanceof H2StreamError)) {
      return new ProxyError('upstream-reset', `${this.#target} failed the request: ${err.message}`, { cause: err });
    }
    return upstreamError(err, this.#target, this.#pooled.connected);
  }

  #detach(): void {
    if (this.#onAbortFn !== undefined) this.#attempt.signal?.removeEventListener('abort', this.#onAbortFn);
    this.#offClose?.();
    this.#offClose = undefined;
    if (this.#waitingDrain && this.#onSinkDrainFn !== undefined)
      this.#sink.body.removeListener('drain', this.#onSinkDrainFn);
  }

  /** The attempt's outcome, once: `committed` says whether the client saw the response head. */
  #fulfil(committed: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve({ status: this.#status, grpcStatus: this.#grpcStatus, committed });
  }

  #fail(err: ProxyError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(err);
  }
}
