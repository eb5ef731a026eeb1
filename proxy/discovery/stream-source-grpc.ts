// The DiscoveryStreamSource over grpc-js: one DestinationClient (one channel) per destination
// replica, and each new stream goes to the next replica in turn (round robin per stream; ADR 0008).
// A replica that is down fails its stream fast with UNAVAILABLE, so the resolver's next attempt
// lands on the next replica.
//
// Contract: plaintext unless `credentials` are given. The channels' own reconnect backoff is kept
// short (`grpc.initial_reconnect_backoff_ms` 100, `grpc.max_reconnect_backoff_ms` 5000 unless
// `channelOptions` say otherwise) so that a restarted replica is used as soon as the resolver
// retries. close() closes every channel; streams still open end with CANCELLED, which is not
// reported (the resolver cancels its streams first).

import {
  credentials as grpcCredentials,
  status as GrpcStatus,
  type ChannelCredentials,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { DestinationClient, type DestinationProfile, type GetDestination, type Update } from '../../src/api/index.ts';
import type { HostPort } from '../../src/config/index.ts';
import type { DiscoveryStreamSource, OpenStream, StreamEnd, StreamObserver } from './stream-source.ts';

export interface GrpcDiscoveryStreamsOptions {
  /** The destination service replicas; at least one. */
  readonly addresses: readonly HostPort[];
  readonly credentials?: ChannelCredentials;
  readonly channelOptions?: Readonly<Record<string, string | number>>;
}

interface Replica {
  readonly addr: string;
  readonly client: DestinationClient;
}

export class GrpcDiscoveryStreams implements DiscoveryStreamSource {
  readonly #replicas: readonly Replica[];
  #next = 0;

  constructor(opts: GrpcDiscoveryStreamsOptions) {
    if (opts.addresses.length === 0) throw new RangeError('GrpcDiscoveryStreams needs at least one address');
    const creds = opts.credentials ?? grpcCredentials.createInsecure();
    this.#replicas = opts.addresses.map(({ host, port }) => {
      const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const client = new DestinationClient(addr, creds, {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 5000,
        ...opts.channelOptions,
      });
      return { addr, client };
    });
  }

  get(request: GetDestination, observer: StreamObserver<Update>): OpenStream {
    const replica = this.#pick();
    return watch(replica.addr, replica.client.get(request), observer);
  }

  getProfile(request: GetDestination, observer: StreamObserver<DestinationProfile>): OpenStream {
    const replica = this.#pick();
    return watch(replica.addr, replica.client.getProfile(request), observer);
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

function watch<T>(addr: string, call: ClientReadableStream<T>, observer: StreamObserver<T>): OpenStream {
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
    if (err.code === GrpcStatus.INVALID_ARGUMENT) finish({ kind: 'invalid-argument', message });
    else finish({ kind: 'failed', status: GrpcStatus[err.code] ?? String(err.code), message });
  });
  return {
    addr,
    cancel: () => {
      done = true;
      call.cancel();
    },
  };
}
