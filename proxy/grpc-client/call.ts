// One gRPC call on a Connector's HTTP/2 connection (the proxy's own HTTP/2, ADR 0020): sends the request, decodes the response messages as
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

import { H2_ERROR, fieldValue, type H2Connection, type H2Stream, type H2StreamHandler } from '../h2/index.ts';
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

class Call implements TrackedCall, H2StreamHandler {
  readonly #connector: Connector;
  readonly #spec: CallSpec;
  readonly #listener: CallListener;
  readonly #decoder: MessageDecoder;
  readonly #deadline: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stream: H2Stream | undefined;
  #ended = false;
  #httpStatus: number | undefined;
  #grpcBody = false;
  #status: CallStatus | undefined;
  /** How the stream was reset: by the server (its code) or by the connection ending (err). */
  #reset: { readonly code: number; readonly err: Error | undefined } | undefined;

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
    this.#stream?.reset(H2_ERROR.CANCEL);
  }

  #open(session: H2Connection): void {
    const timeoutMs = this.#deadline === undefined ? undefined : Math.max(1, this.#deadline - Date.now());
    let stream: H2Stream;
    try {
      const headers = requestHeaders({
        path: this.#spec.path,
        authority: this.#connector.authority,
        scheme: this.#connector.scheme,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
      const fields: string[] = [];
      for (const name in headers) fields.push(name, String(headers[name]));
      stream = session.request(fields, false);
    } catch (err) {
      this.#finish({
        code: 'UNAVAILABLE',
        message: `the call could not start on the connection to ${this.#connector.target}: ${messageOf(err)}`,
      });
      return;
    }
    this.#stream = stream;
    stream.handler = this;
    stream.end(encodeMessage(this.#spec.request));
  }

  // --- the stream's handler ----------------------------------------------------------------------

  headers(fields: string[], endStream: boolean): void {
    if (this.#httpStatus === undefined) this.#onResponse(fields);
    else this.#status ??= statusOf(fields);
    if (endStream) this.#onClose();
  }

  data(chunk: Buffer, endStream: boolean): void {
    this.#stream?.consumed(chunk.length);
    if (chunk.length > 0) this.#onData(chunk);
    if (endStream) this.#onClose();
  }

  reset(code: number, err: Error | undefined): void {
    this.#reset = { code, err };
    this.#onClose();
  }

  #onResponse(fields: readonly string[]): void {
    const status = Number(fieldValue(fields, ':status'));
    this.#httpStatus = status;
    const contentType = fieldValue(fields, 'content-type') ?? '';
    this.#grpcBody = status === 200 && contentType.startsWith('application/grpc');
    // A trailers-only response carries the status in these HEADERS (with END_STREAM).
    this.#status = statusOf(fields);
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

  #onClose(): void {
    if (this.#ended) return;
    this.#finish(this.#closedStatus());
  }

  #closedStatus(): CallStatus {
    const status = this.#status;
    if (status !== undefined) {
      if (status.code === 'OK' && this.#decoder.partial)
        return { code: 'INTERNAL', message: 'the server ended the stream inside a message' };
      return status;
    }
    const reset = this.#reset;
    if (reset?.err !== undefined) {
      return {
        code: 'UNAVAILABLE',
        message: `the connection to ${this.#connector.target} was lost: ${reset.err.message}`,
      };
    }
    const rst = reset?.code;
    if (rst !== undefined && rst !== H2_ERROR.NO_ERROR)
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
function statusOf(fields: readonly string[]): CallStatus | undefined {
  const raw = fieldValue(fields, 'grpc-status');
  if (raw === undefined) return undefined;
  const code = statusNameOf(raw);
  const message = fieldValue(fields, 'grpc-message');
  const text = message === undefined ? '' : decodeGrpcMessage(message);
  return code === 'OK' ? OK_STATUS : { code, message: text };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
