// GrpcChannel: the proxy's gRPC client for one server address, over the proxy's own HTTP/2
// (proxy/h2/, ADR 0020). It offers the two
// call shapes the proxy uses: unary (Certify) and server streaming (Destination Get/GetProfile).
//
// Contract:
// - Constructing a channel does no I/O; the first call connects, later calls share the connection
//   (connector.ts). Calls after close() end with CANCELLED.
// - unary() resolves with the one response message, or rejects with a GrpcCallError carrying the
//   status name, the message and `tlsProblem`. A response with no message or more than one is
//   INTERNAL.
// - serverStream() returns at once; the observer gets each message as it is decoded, then exactly
//   one `end` (OK or an error status). cancel() ends the stream with CANCELLED (reported), after
//   which nothing more is delivered. Observer callbacks must not throw: a throwing `message` ends
//   the call with INTERNAL.

import { startCall } from './call.ts';
import { Connector, type ConnectorOptions } from './connector.ts';
import { GrpcCallError, type CallStatus } from './errors.ts';
import type { MethodDescriptor } from './method.ts';

/** The server's address, TLS, and connection timings (connector.ts has the defaults). */
export type GrpcChannelOptions = ConnectorOptions;

export interface CallOptions {
  /** Time allowed for the call, in ms from now. */
  readonly deadlineMs?: number;
}

export interface StreamObserver<T> {
  message(message: T): void;
  end(status: CallStatus): void;
}

export interface StreamCall {
  cancel(): void;
}

export class GrpcChannel {
  readonly #connector: Connector;

  constructor(opts: GrpcChannelOptions) {
    this.#connector = new Connector(opts);
  }

  /** host:port of the server (IPv6 in brackets). */
  get target(): string {
    return this.#connector.target;
  }

  unary<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, opts: CallOptions = {}): Promise<Res> {
    return new Promise((resolve, reject) => {
      let response: { value: Res } | undefined;
      const call = startCall(
        this.#connector,
        { path: method.path, request: method.requestSerialize(request), ...deadline(opts) },
        {
          message: (bytes) => {
            if (response !== undefined) {
              call.cancelWithStatus({ code: 'INTERNAL', message: 'the server sent more than one response message' });
              return;
            }
            response = { value: method.responseDeserialize(bytes) };
          },
          end: (status) => {
            if (status.code !== 'OK') reject(new GrpcCallError(method.path, status));
            else if (response === undefined)
              reject(
                new GrpcCallError(method.path, { code: 'INTERNAL', message: 'the server sent no response message' }),
              );
            else resolve(response.value);
          },
        },
      );
    });
  }

  serverStream<Req, Res>(
    method: MethodDescriptor<Req, Res>,
    request: Req,
    observer: StreamObserver<Res>,
    opts: CallOptions = {},
  ): StreamCall {
    const call = startCall(
      this.#connector,
      { path: method.path, request: method.requestSerialize(request), ...deadline(opts) },
      {
        message: (bytes) => observer.message(method.responseDeserialize(bytes)),
        end: (status) => observer.end(status),
      },
    );
    return { cancel: () => call.cancel() };
  }

  /** Closes the connection; open calls end with CANCELLED. Final. */
  close(): void {
    this.#connector.close();
  }
}

function deadline(opts: CallOptions): { deadlineMs?: number } {
  return opts.deadlineMs === undefined ? {} : { deadlineMs: opts.deadlineMs };
}
