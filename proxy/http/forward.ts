// The innermost HTTP service: sends one attempt to its chosen endpoint and streams the response to
// the client. HTTP/1 goes over pooled keep-alive connections, HTTP/2 over one multiplexed session
// per endpoint, Upgrades through a tunnel; meshed endpoints are reached over mTLS through the mesh
// connector (plain TCP otherwise).
//
// Contract: `service` is an HttpService over attempts with an endpoint (stack.ts); close() stops
// reusing idle upstream connections and sessions (connections in use finish their exchange).

import { ProxyError } from './proxy-error.ts';
import { H1Pool } from './h1-client.ts';
import { forwardH1, h1Writer, h2Writer, type H1ForwardOptions } from './h1-forward.ts';
import { ORIG_PROTO_HEADER } from './headers.ts';
import { h1Sink, h2Sink } from './response-sink.ts';
import { forwardUpgrade } from './h1-upgrade.ts';
import { forwardH2, H2ClientPool } from './h2-forward.ts';
import type { MeshConnector, MeshEndpoint } from '../mesh/mesh-connector.ts';
import { rejection, type Endpoint, type EndpointRequest, type HttpOutcome } from './stack.ts';

export interface ForwarderOptions {
  readonly connectTimeoutMs: number;
  /** Opens mTLS connections to meshed endpoints (absent: meshed endpoints are refused). */
  readonly mesh?: MeshConnector;
  /** Outbound: carry HTTP/1 requests to meshed endpoints over one HTTP/2 connection per peer. */
  readonly h1OverH2?: boolean;
  /** Inbound: HTTP/2 requests marked with l5d-orig-proto go to the application as HTTP/1.1. */
  readonly acceptOrigProto?: boolean;
}

export class Forwarder {
  readonly #opts: ForwarderOptions;
  readonly #h1Pool: H1Pool;
  readonly #h2Pool: H2ClientPool;
  readonly #plainH1: H1ForwardOptions;
  /** HTTP/1 options per meshed endpoint object (see #h1Upstream). */
  readonly #meshH1 = new WeakMap<Endpoint, H1ForwardOptions>();
  readonly service = (attempt: EndpointRequest): Promise<HttpOutcome> => this.#forward(attempt);

  constructor(opts: ForwarderOptions) {
    this.#opts = opts;
    this.#h1Pool = new H1Pool(opts.connectTimeoutMs);
    this.#plainH1 = { pool: this.#h1Pool };
    this.#h2Pool = new H2ClientPool({
      connectTimeoutMs: opts.connectTimeoutMs,
      ...(opts.mesh === undefined ? {} : { mesh: opts.mesh }),
    });
  }

  close(): void {
    this.#h1Pool.close();
    this.#h2Pool.close();
  }

  /**
   * Not an async function: the forwarders return their own promise, which an async wrapper would
   * wrap in one more (a promise and three microtask turns per request). A synchronous throw
   * becomes a rejection, as it would in an async function.
   */
  #forward(attempt: EndpointRequest): Promise<HttpOutcome> {
    try {
      return this.#dispatch(attempt);
    } catch (err) {
      return rejection(err);
    }
  }

  #dispatch(attempt: EndpointRequest): Promise<HttpOutcome> {
    const down = attempt.downstream;
    switch (down.kind) {
      case 'h1':
        if (this.#opts.h1OverH2 === true && attempt.endpoint.mesh !== undefined) {
          this.#requireIdentity(attempt.endpoint);
          if (attempt.headers.expect?.toLowerCase() === '100-continue') down.res.writeContinue();
          return forwardH2(attempt, h1Sink(down.res), down.req.body, this.#h2Pool);
        }
        return forwardH1(attempt, down.req.body, h1Writer(down.res), this.#h1Upstream(attempt.endpoint));
      case 'h2':
        if (this.#opts.acceptOrigProto === true && attempt.headers[ORIG_PROTO_HEADER] !== undefined) {
          const body = down.stream.endAfterHeaders ? undefined : down.stream.body;
          return forwardH1(attempt, body, h2Writer(down.stream), this.#h1Upstream(attempt.endpoint));
        }
        // The client's stream itself: its body is relayed unless the attempt brings its own.
        return forwardH2(attempt, h2Sink(down.stream), down.stream, this.#h2Pool);
      case 'upgrade': {
        const mesh = this.#meshEndpoint(attempt.endpoint);
        const connector = this.#opts.mesh;
        return forwardUpgrade(down.req, down.socket, down.head, attempt.endpoint, {
          ...(mesh === undefined || connector === undefined
            ? {}
            : { createConnection: () => connector.connect(mesh, 'http1') }),
          connectTimeoutMs: this.#opts.connectTimeoutMs,
          ...(attempt.addHeaders === undefined ? {} : { addHeaders: attempt.addHeaders }),
          ...(attempt.dropHeaders === undefined ? {} : { dropHeaders: attempt.dropHeaders }),
        }).then((r) => ({ status: r.status, grpcStatus: undefined, committed: true }));
      }
    }
  }

  #meshEndpoint(endpoint: Endpoint): MeshEndpoint | undefined {
    if (endpoint.mesh === undefined) return undefined;
    this.#requireIdentity(endpoint);
    return { host: endpoint.host, port: endpoint.port, mesh: endpoint.mesh };
  }

  /** A meshed endpoint needs this proxy's identity for mTLS. */
  #requireIdentity(endpoint: Endpoint): void {
    if (this.#opts.mesh === undefined) {
      throw new ProxyError(
        'connect-failed',
        `${endpoint.host}:${endpoint.port} is meshed but this proxy has no identity for mTLS`,
      );
    }
  }

  /**
   * The pool (and, for a meshed endpoint, its pool key and mTLS connector) for an HTTP/1 request.
   * A meshed endpoint's options are built once per endpoint object (discovery hands out the same
   * immutable object for every request to it), so its pool key is not concatenated and hashed anew
   * on every request.
   */
  #h1Upstream(endpoint: Endpoint): H1ForwardOptions {
    if (endpoint.mesh === undefined) return this.#plainH1;
    let options = this.#meshH1.get(endpoint);
    if (options === undefined) {
      const mesh = this.#meshEndpoint(endpoint)!;
      const connector = this.#opts.mesh!;
      // Every connection under this key is an mTLS connection to the peer proxy carrying HTTP/1.
      options = {
        pool: this.#h1Pool,
        poolKey: `mesh|${mesh.host}|${mesh.port}|${mesh.mesh.identity}|${mesh.mesh.inboundPort}`,
        connect: () => connector.connect(mesh, 'http1'),
      };
      this.#meshH1.set(endpoint, options);
    }
    return options;
  }
}
