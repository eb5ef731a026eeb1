// The DiscoveryStreamSource over grpc-js: one DestinationClient (one channel) per destination
// replica, and each new stream goes to the next replica in turn (round robin per stream; ADR 0008).
// A replica that is down fails its stream fast with UNAVAILABLE, so the resolver's next attempt
// lands on the next replica.
//
// Contract: plaintext unless `tls` (or raw `credentials`) is given. With `tls`, the channel speaks
// TLS with SNI = the destination's identity name, and a replica is used only if its certificate
// chains to the trust anchors and names exactly that identity (as the identity client checks the
// identity service); a replica that fails the check ends each stream with UNAVAILABLE and a
// `tlsProblem` saying why (another name, another CA, no TLS at all), and nothing it sent is used.
// The proxy presents no certificate of its own (the destination does not ask for one; ADR 0007).
// The channels' own reconnect backoff is kept short (`grpc.initial_reconnect_backoff_ms` 100,
// `grpc.max_reconnect_backoff_ms` 5000 unless `channelOptions` say otherwise) so that a restarted
// replica is used as soon as the resolver retries. close() closes every channel; streams still
// open end with CANCELLED, which is not reported (the resolver cancels its streams first).

import {
  credentials as grpcCredentials,
  status as GrpcStatus,
  type ChannelCredentials,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { type DestinationProfile, type GetDestination, type Update } from '../../src/api/index.ts';
import { DestinationClient } from '../../src/api/grpc-js-clients.ts';
import type { HostPort } from '../../src/config/index.ts';
import { checkPeerIdentity, type TrustBundle } from '../../src/tls/index.ts';
import type { DiscoveryStreamSource, OpenStream, StreamEnd, StreamObserver } from './stream-source.ts';

/** How the proxy checks that it talks to the destination service. */
export interface DestinationTls {
  /** The destination service's identity name: the DNS SAN its certificate must carry, and the SNI. */
  readonly serverName: string;
  /** The trust anchors its certificate must chain to (the proxy's own). */
  readonly trust: TrustBundle;
}

export interface GrpcDiscoveryStreamsOptions {
  /** The destination service replicas; at least one. */
  readonly addresses: readonly HostPort[];
  /** TLS to the destination, verified against its identity; plaintext when absent. */
  readonly tls?: DestinationTls;
  /** Raw channel credentials (tests); `tls` wins when both are given. */
  readonly credentials?: ChannelCredentials;
  readonly channelOptions?: Readonly<Record<string, string | number>>;
}

interface Replica {
  readonly addr: string;
  readonly client: DestinationClient;
}

export class GrpcDiscoveryStreams implements DiscoveryStreamSource {
  readonly #replicas: readonly Replica[];
  readonly #tls: boolean;
  #next = 0;

  constructor(opts: GrpcDiscoveryStreamsOptions) {
    if (opts.addresses.length === 0) throw new RangeError('GrpcDiscoveryStreams needs at least one address');
    const { tls } = opts;
    this.#tls = tls !== undefined;
    const creds =
      tls === undefined
        ? (opts.credentials ?? grpcCredentials.createInsecure())
        : grpcCredentials.createSsl(Buffer.from(tls.trust.pem), null, null, {
            checkServerIdentity: (_host, cert) => checkPeerIdentity(tls.serverName, cert),
          });
    this.#replicas = opts.addresses.map(({ host, port }) => {
      const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const client = new DestinationClient(addr, creds, {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 5000,
        ...(tls === undefined
          ? {}
          : { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName }),
        ...opts.channelOptions,
      });
      return { addr, client };
    });
  }

  get(request: GetDestination, observer: StreamObserver<Update>): OpenStream {
    const replica = this.#pick();
    return watch(replica.addr, replica.client.get(request), observer, this.#tls);
  }

  getProfile(request: GetDestination, observer: StreamObserver<DestinationProfile>): OpenStream {
    const replica = this.#pick();
    return watch(replica.addr, replica.client.getProfile(request), observer, this.#tls);
  }

  close(): void {
    for (const r of this.#replicas) r.client.close();
  }

  #pick(): Replica {
    const replica = this.#replicas[this.#next % this.#replicas.length];
    this.#next = (this.#next + 1) % this.#replicas.length;
    if (replica === undefined) throw new RangeError('no replica');
    return replica;
  }
}

function watch<T>(addr: string, call: ClientReadableStream<T>, observer: StreamObserver<T>, tls: boolean): OpenStream {
  let done = false;
  const finish = (reason: StreamEnd): void => {
    if (done) return;
    done = true;
    observer.end(reason);
  };
  call.on('data', (message: T) => {
    if (!done) observer.message(message);
  });
  call.on('end', () => finish({ kind: 'completed' }));
  call.on('error', (err: ServiceError) => {
    const message = err.details || err.message;
    if (err.code === GrpcStatus.INVALID_ARGUMENT) {
      finish({ kind: 'invalid-argument', message });
      return;
    }
    const tlsProblem = tls && err.code === GrpcStatus.UNAVAILABLE ? tlsProblemOf(message) : undefined;
    finish({
      kind: 'failed',
      status: GrpcStatus[err.code] ?? String(err.code),
      message,
      ...(tlsProblem === undefined ? {} : { tlsProblem }),
    });
  });
  return {
    addr,
    cancel: () => {
      done = true;
      call.cancel();
    },
  };
}

/**
 * Why a connection failed TLS, from grpc-js's "No connection established. Last error: …" (the
 * handshake's error: a ChainError from the identity check, OpenSSL's verdict on the chain, or a
 * server that does not speak TLS); undefined for other failures (refused, reset, timed out).
 */
export function tlsProblemOf(details: string): string | undefined {
  const last = /Last error: (.*?)(?:\. Resolution note:.*)?$/s.exec(details)?.[1]?.trim();
  if (last === undefined || last === '') return undefined;
  return TLS_FAILURE.test(last) ? last : undefined;
}

const TLS_FAILURE = /ChainError|certificate|self[- ]signed|issuer|SSL|TLS|handshake/i;
