// One gRPC call on a Connector's session: sends the request, decodes the response messages as
// they arrive and works out the one status the call ends with.
//
// Contract:
// - listener.message gets each response message in order; listener.end gets exactly one status,
//   after the last message, and nothing comes after it. A listener.message that throws ends the
//   call with INTERNAL (the response could not be used) and resets the stream.
// - The status is grpc-status from the trailers, or from the HEADERS of a trailers-only response;
//   without one, the HTTP status mapped (http-grpc-status-mapping), the RST_STREAM code mapped, or
//   UNAVAILABLE when the connection was lost. A stream that ends OK inside a message is INTERNAL.
// - A deadline is sent as grpc-timeout and enforced here: DEADLINE_EXCEEDED, stream reset with
//   CANCEL. cancel() and the connector's close() end the call with CANCELLED the same way.

import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { Connector, TrackedCall } from './connector.ts';
import { OK_STATUS, type CallStatus } from './errors.ts';
import { MessageDecoder, encodeMessage } from './framing.ts';
import { decodeGrpcMessage } from './grpc-message.ts';
import { requestHeaders } from './request-headers.ts';
import { statusFromHttp, statusFromRstCode, statusNameOf } from './status.ts';

export interface CallSpec {
  readonly path: string;
  /** The serialized request message (framed here). */
  readonly request: Uint8Array;
  /** Time allowed for the whole call from now, in ms; none when undefined. */
  readonly deadlineMs?: number;
  readonly maxMessageBytes?: number;
}

export interface CallListener {
  message(bytes: Buffer): void;
  end(status: CallStatus): void;
}

export interface CallHandle {
  /** Ends the call with CANCELLED (reported to the listener) and resets the stream. */
  cancel(): void;
  /** Ends the call with `status` (reported to the listener) and resets the stream. */
  cancelWithStatus(status: CallStatus): void;
}

export function startCall(connector: Connector, spec: CallSpec, listener: CallListener): CallHandle {
  const call = new Call(connector, spec, listener);
  call.start();
  return {
    cancel: () => call.cancelWith({ code: 'CANCELLED', message: 'cancelled by the client' }),
    cancelWithStatus: (status) => call.cancelWith(status),
  };
}

class Call implements TrackedCall {
  readonly #connector: Connector;
  readonly #spec: CallSpec;
  readonly #listener: CallListener;
  readonly #decoder: MessageDecoder;
  readonly #deadline: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stream: ClientHttp2Stream | undefined;
  #session: ClientHttp2Session | undefined;
  #ended = false;
  #httpStatus: number | undefined;
  #grpcBody = false;
  #status: CallStatus | undefined;
  #streamError: Error | undefined;

  constructor(connector: Connector, spec: CallSpec, listener: CallListener) {
    this.#connector = connector;
    this.#spec = spec;
    this.#listener = listener;
    this.#decoder = new MessageDecoder(
      spec.maxMessageBytes === undefined ? {} : { maxMessageBytes: spec.maxMessageBytes },
    );
    this.#deadline = spec.deadlineMs === undefined ? undefined : Date.now() + spec.deadlineMs;
  }

  start(): void {
    this.#connector.track(this);
    if (this.#spec.deadlineMs !== undefined) {
      const ms = this.#spec.deadlineMs;
      this.#timer = setTimeout(() => {
        const where = this.#stream === undefined ? 'while connecting' : 'waiting for the server';
        this.cancelWith({ code: 'DEADLINE_EXCEEDED', message: `deadline of ${ms} ms exceeded ${where}` });
      }, ms);
    }
    this.#connector.acquire((result) => {
      if (this.#ended) return;
      if (result.kind === 'failed') this.#finish(result.status);
      else this.#open(result.session);
    });
  }

  cancelWith(status: CallStatus): void {
    if (this.#ended) return;
    this.#finish(status);
    const stream = this.#stream;
    if (stream !== undefined && !stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
  }

  #open(session: ClientHttp2Session): void {
    this.#session = session;
    const timeoutMs = this.#deadline === undefined ? undefined : Math.max(1, this.#deadline - Date.now());
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(
        requestHeaders({
          path: this.#spec.path,
          authority: this.#connector.authority,
          scheme: this.#connector.scheme,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        }),
      );
    } catch (err) {
      this.#finish({
        code: 'UNAVAILABLE',
        message: `the call could not start on the connection to ${this.#connector.target}: ${messageOf(err)}`,
      });
      return;
    }
    this.#stream = stream;
    stream.on('response', (headers: IncomingHttpHeaders) => this.#onResponse(headers));
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('trailers', (trailers: IncomingHttpHeaders) => this.#onTrailers(trailers));
    stream.on('error', (err: Error) => (this.#streamError ??= err));
    stream.on('close', () => this.#onClose(stream));
    stream.end(encodeMessage(this.#spec.request));
  }

  #onResponse(headers: IncomingHttpHeaders): void {
    const status = Number(headers[':status']);
    this.#httpStatus = status;
    const contentType = headers['content-type'] ?? '';
    this.#grpcBody = status === 200 && contentType.startsWith('application/grpc');
    // A trailers-only response carries the status in these HEADERS (with END_STREAM).
    this.#status = statusOf(headers);
  }

  #onData(chunk: Buffer): void {
    if (this.#ended || !this.#grpcBody) return;
    const { messages, problem } = this.#decoder.push(chunk);
    for (const message of messages) {
      try {
        this.#listener.message(message);
      } catch (err) {
        this.cancelWith({ code: 'INTERNAL', message: `the response message could not be used: ${messageOf(err)}` });
      }
      if (this.#ended) return;
    }
    if (problem !== undefined) this.cancelWith({ code: problem.status, message: problem.message });
  }

  #onTrailers(trailers: IncomingHttpHeaders): void {
    this.#status ??= statusOf(trailers);
  }

  #onClose(stream: ClientHttp2Stream): void {
    if (this.#ended) return;
    this.#finish(this.#closedStatus(stream));
  }

  #closedStatus(stream: ClientHttp2Stream): CallStatus {
    const status = this.#status;
    if (status !== undefined) {
      if (status.code === 'OK' && this.#decoder.partial)
        return { code: 'INTERNAL', message: 'the server ended the stream inside a message' };
      return status;
    }
    if (this.#session?.destroyed === true) {
      const why = this.#streamError === undefined ? '' : `: ${this.#streamError.message}`;
      return { code: 'UNAVAILABLE', message: `the connection to ${this.#connector.target} was lost${why}` };
    }
    const rst = stream.rstCode;
    if (rst !== undefined && rst !== constants.NGHTTP2_NO_ERROR)
      return { code: statusFromRstCode(rst), message: `the server reset the stream (HTTP/2 error code ${rst})` };
    const http = this.#httpStatus;
    if (http === undefined) return { code: 'INTERNAL', message: 'the stream ended before any response' };
    if (http !== 200)
      return { code: statusFromHttp(http), message: `the server answered HTTP ${http} without grpc-status` };
    return {
      code: 'UNKNOWN',
      message: this.#grpcBody ? 'the response ended without a grpc-status' : 'the response is not gRPC (content-type)',
    };
  }

  #finish(status: CallStatus): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#connector.untrack(this);
    this.#listener.end(status);
  }
}

/** The status named by grpc-status and grpc-message; undefined without grpc-status. */
function statusOf(headers: IncomingHttpHeaders): CallStatus | undefined {
  const raw = headers['grpc-status'];
  if (raw === undefined) return undefined;
  const code = statusNameOf(Array.isArray(raw) ? (raw[0] ?? '') : raw);
  const message = headers['grpc-message'];
  const text = typeof message === 'string' ? decodeGrpcMessage(message) : '';
  return code === 'OK' ? OK_STATUS : { code, message: text };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
