// The destination service's gRPC server: io.linkerd.proxy.destination.Destination/Get and
// /GetProfile (reference §1.3–1.4), answered from the EndpointsWatcher and ProfilesWatcher.
//
// Contract:
// - start() binds and resolves with the port. Plaintext unless `tls` (PEM certificate chain and
//   key) is given; clients are not asked for certificates (ADR 0007).
// - Every stream gets its own StreamQueue of `queueCapacity`; on overflow the stream ends with
//   RESOURCE_EXHAUSTED (counted) and its subscription is dropped, so the proxy reconnects.
// - The streams of one connection (grpc-js's peer address) share a WriteBudget of
//   WRITE_BUDGET_BYTES_PER_CONNECTION: encoded bytes handed to grpc-js and not sent yet. Beyond it
//   messages wait in their queues as shared objects rather than as per-stream frame copies.
// - Get: a name outside `<svc>.<ns>.svc.<cluster-domain>`, or an IP that is no Service's
//   ClusterIP, is answered `no_endpoints{exists:false}` and the stream stays open.
//   GetProfile: such a path ends the stream with INVALID_ARGUMENT (the proxy goes without a
//   profile). Errors become statuses in rescue.ts only.
// - close() stops accepting, ends open streams, waits up to `graceMs`, then forces the rest.
// - Responses are encoded once per message object (a WeakMap), so an update the watchers send to
//   many streams is encoded once; messages must not be mutated after they are sent.

import {
  Server,
  ServerCredentials,
  type ServerWritableStream,
  type StatusObject,
  Metadata as GrpcMetadata,
} from '@grpc/grpc-js';
import { DestinationService, type DestinationProfile, type GetDestination, type Update } from '../../src/api/index.ts';
import type { SocketAddress } from '../../src/config/index.ts';
import type { ResourceSource } from '../../src/k8s/index.ts';
import type { Logger } from '../../src/log/index.ts';
import { parseContextToken, parseDestinationPath, type DestinationTarget } from './destination-path.ts';
import { serviceByClusterIp } from './endpoint-translator.ts';
import type { EndpointsWatcher, ServicePortTarget } from './endpoints-watcher.ts';
import { DestinationPathError, StreamOverflowError } from './errors.ts';
import type { DestinationMethod, DestinationMetrics } from './metrics.ts';
import type { ProfilesWatcher } from './profiles-watcher.ts';
import { rescue } from './rescue.ts';
import { StreamQueue } from './stream-queue.ts';
import { WriteBudgets } from './write-budget.ts';

/**
 * Encoded bytes the streams of one connection may have in grpc-js's and HTTP/2's buffers: about
 * one flow-control window (64 KiB by default), so the connection never idles for want of data.
 */
export const WRITE_BUDGET_BYTES_PER_CONNECTION = 64 * 1024;

export interface DestinationGrpcServerDependencies {
  readonly source: ResourceSource;
  readonly endpoints: EndpointsWatcher;
  readonly profiles: ProfilesWatcher;
  readonly metrics: DestinationMetrics;
  readonly log: Logger;
}

export interface DestinationGrpcServerOptions {
  readonly address: SocketAddress;
  readonly clusterDomain: string;
  readonly queueCapacity: number;
  /** PEM certificate chain and private key; undefined serves plaintext. */
  readonly tls?: { readonly certChain: Buffer; readonly privateKey: Buffer };
}

type Call<T> = ServerWritableStream<GetDestination, T>;

const encoded = new WeakMap<object, Buffer>();

/** `serialize`, remembering each message object's encoding (grpc-js copies it into its frame). */
function encodeOnce<T extends object>(serialize: (message: T) => Buffer): (message: T) => Buffer {
  return (message) => {
    let bytes = encoded.get(message);
    if (bytes === undefined) {
      bytes = serialize(message);
      encoded.set(message, bytes);
    }
    return bytes;
  };
}

const SIZE_OF = {
  get: (message: Update) => ENCODE_ONCE_SERVICE.get.responseSerialize(message).byteLength,
  get_profile: (message: DestinationProfile) => ENCODE_ONCE_SERVICE.getProfile.responseSerialize(message).byteLength,
} as const;

const ENCODE_ONCE_SERVICE = {
  get: { ...DestinationService.get, responseSerialize: encodeOnce(DestinationService.get.responseSerialize) },
  getProfile: {
    ...DestinationService.getProfile,
    responseSerialize: encodeOnce(DestinationService.getProfile.responseSerialize),
  },
} as const;

export class DestinationGrpcServer {
  readonly #deps: DestinationGrpcServerDependencies;
  readonly #opts: DestinationGrpcServerOptions;
  readonly #server: Server;
  /** Ends each open stream (status OK) and its subscription. */
  readonly #open = new Set<() => void>();
  readonly #budgets = new WriteBudgets(WRITE_BUDGET_BYTES_PER_CONNECTION);

  constructor(deps: DestinationGrpcServerDependencies, opts: DestinationGrpcServerOptions) {
    this.#deps = deps;
    this.#opts = opts;
    this.#server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 });
    this.#server.addService(ENCODE_ONCE_SERVICE, {
      get: (call: Call<Update>) => this.#get(call),
      getProfile: (call: Call<DestinationProfile>) => this.#getProfile(call),
    });
  }

  async start(): Promise<number> {
    const { host, port } = this.#opts.address;
    const tls = this.#opts.tls;
    const credentials =
      tls === undefined
        ? ServerCredentials.createInsecure()
        : ServerCredentials.createSsl(null, [{ cert_chain: tls.certChain, private_key: tls.privateKey }], false);
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(target, credentials, (err, bound) => (err === null ? resolve(bound) : reject(err)));
    });
  }

  async close(graceMs = 5000): Promise<void> {
    for (const end of [...this.#open]) end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve())),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.#server.forceShutdown();
          resolve();
        }, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  #get(call: Call<Update>): void {
    const path = call.request.path;
    const parsed = parseDestinationPath(path, this.#opts.clusterDomain);
    if (!parsed.ok) {
      this.#fail(call, 'get', new DestinationPathError(path, `Get: ${parsed.reason}`));
      return;
    }
    const target = this.#serviceTarget(parsed.target);
    this.#serve(call, 'get', (send) => {
      if (target === undefined) {
        send({ update: { $case: 'noEndpoints', noEndpoints: { exists: false } } });
        return () => undefined;
      }
      return this.#deps.endpoints.subscribe(target, send);
    });
  }

  #getProfile(call: Call<DestinationProfile>): void {
    const path = call.request.path;
    const parsed = parseDestinationPath(path, this.#opts.clusterDomain);
    if (!parsed.ok) {
      this.#fail(call, 'get_profile', new DestinationPathError(path, `GetProfile: ${parsed.reason}`));
      return;
    }
    const target = this.#serviceTarget(parsed.target);
    if (target === undefined) {
      const t = parsed.target;
      const reason =
        t.type === 'ip'
          ? `${t.ip} is not the ClusterIP of a Service`
          : `${t.type === 'external' ? t.host : path} is not <service>.<namespace>.svc.${this.#opts.clusterDomain}`;
      this.#fail(call, 'get_profile', new DestinationPathError(path, `GetProfile: ${reason}`));
      return;
    }
    const clientNamespace = parseContextToken(call.request.contextToken).namespace;
    this.#serve(call, 'get_profile', (send) => this.#deps.profiles.subscribe({ ...target, clientNamespace }, send));
  }

  /** A Service target for a parsed path: by name, or by ClusterIP. */
  #serviceTarget(target: DestinationTarget): ServicePortTarget | undefined {
    switch (target.type) {
      case 'service':
        return { namespace: target.namespace, name: target.name, port: target.port };
      case 'ip': {
        const svc = serviceByClusterIp(this.#deps.source, target.ip);
        return svc === undefined
          ? undefined
          : { namespace: svc.metadata.namespace, name: svc.metadata.name, port: target.port };
      }
      case 'external':
        return undefined;
    }
  }

  /** Wires a stream to a subscription through a bounded queue, and tears both down together. */
  #serve<T>(call: Call<T>, method: DestinationMethod, subscribe: (send: (message: T) => void) => () => void): void {
    const { metrics, log } = this.#deps;
    let ended = false;
    let unsubscribe: () => void = () => undefined;
    const budget = this.#budgets.acquire(call.getPeer());
    const end = (): void => {
      if (ended) return;
      ended = true;
      queue.close();
      budget.release();
      unsubscribe();
      this.#open.delete(shutdown);
      metrics.streams.dec({ method });
    };
    const queue = new StreamQueue<T>(call, {
      capacity: this.#opts.queueCapacity,
      budget: { budget: budget.budget, sizeOf: SIZE_OF[method] as (message: T) => number },
      onOverflow: () => {
        metrics.queueOverflows.inc({ method });
        log.warn({ method, path: call.request.path, capacity: this.#opts.queueCapacity }, 'stream queue overflowed');
        const err = new StreamOverflowError(this.#opts.queueCapacity);
        end();
        this.#fail(call, method, err);
      },
    });
    const shutdown = (): void => {
      end();
      call.end();
    };
    metrics.streams.inc({ method });
    this.#open.add(shutdown);
    call.once('cancelled', end);
    call.once('close', end);
    call.once('finish', end);
    unsubscribe = subscribe((message) => queue.push(message));
    if (ended) unsubscribe();
  }

  #fail(call: Call<unknown>, method: DestinationMethod, err: unknown): void {
    const status = rescue(err);
    if (status.outcome === 'internal') this.#deps.log.error({ err, method }, 'destination stream failed');
    else this.#deps.log.debug({ method, path: call.request.path, outcome: status.outcome }, status.details);
    const statusObject: Partial<StatusObject> = {
      code: status.code,
      details: status.details,
      metadata: new GrpcMetadata(),
    };
    call.emit('error', statusObject);
  }
}
