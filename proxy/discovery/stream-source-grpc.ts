// The DiscoveryStreamSource over the proxy's own gRPC client (proxy/grpc-client; ADR 0017): one
// channel (one HTTP/2 connection) per destination replica, and each new stream goes to the next
// replica in turn (round robin per stream; ADR 0008). A replica that is down fails its stream fast
// with UNAVAILABLE, so the resolver's next attempt lands on the next replica; a replica that comes
// back is used on the next stream to it (a lost connection is reopened by the next call, with no
// backoff of its own: the resolver's backoff paces the retries).
//
// Contract: plaintext unless `tls` is given. With `tls`, the channel speaks TLS with SNI = the
// destination's identity name, and a replica is used only if its certificate chains to the trust
// anchors and names exactly that identity (as the identity client checks the identity service); a
// replica that fails the check ends each stream with UNAVAILABLE and a `tlsProblem` saying why
// (another name, another CA, no TLS at all), and nothing it sent is used. The proxy presents no
// certificate of its own (the destination does not ask for one; ADR 0007). close() closes every
// channel; streams still open end with CANCELLED, which is not reported (the resolver cancels its
// streams first).

import { DestinationService, type DestinationProfile, type GetDestination, type Update } from '../../src/api/index.ts';
import type { HostPort } from '../../src/config/index.ts';
import type { TrustBundle } from '../../src/tls/index.ts';
import { GrpcChannel, type CallStatus, type MethodDescriptor, type StreamCall } from '../grpc-client/index.ts';
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
}

const GET: MethodDescriptor<GetDestination, Update> = DestinationService.get;
const GET_PROFILE: MethodDescriptor<GetDestination, DestinationProfile> = DestinationService.getProfile;

export class GrpcDiscoveryStreams implements DiscoveryStreamSource {
  readonly #replicas: readonly GrpcChannel[];
  #next = 0;
  #closed = false;

  constructor(opts: GrpcDiscoveryStreamsOptions) {
    if (opts.addresses.length === 0) throw new RangeError('GrpcDiscoveryStreams needs at least one address');
    const { tls } = opts;
    this.#replicas = opts.addresses.map(
      (address) =>
        new GrpcChannel({
          address,
          ...(tls === undefined ? {} : { tls: { serverName: tls.serverName, trustAnchorsPem: tls.trust.pem } }),
        }),
    );
  }

  get(request: GetDestination, observer: StreamObserver<Update>): OpenStream {
    return watch(this.#pick(), GET, request, observer, () => this.#closed);
  }

  getProfile(request: GetDestination, observer: StreamObserver<DestinationProfile>): OpenStream {
    return watch(this.#pick(), GET_PROFILE, request, observer, () => this.#closed);
  }

  close(): void {
    this.#closed = true;
    for (const channel of this.#replicas) channel.close();
  }

  #pick(): GrpcChannel {
    const channel = this.#replicas[this.#next % this.#replicas.length];
    this.#next = (this.#next + 1) % this.#replicas.length;
    if (channel === undefined) throw new RangeError('no replica');
    return channel;
  }
}

function watch<T>(
  channel: GrpcChannel,
  method: MethodDescriptor<GetDestination, T>,
  request: GetDestination,
  observer: StreamObserver<T>,
  sourceClosed: () => boolean,
): OpenStream {
  let done = false;
  const call: StreamCall = channel.serverStream(method, request, {
    message: (message) => {
      if (!done) observer.message(message);
    },
    end: (status) => {
      if (done) return;
      done = true;
      if (!sourceClosed()) observer.end(streamEnd(status));
    },
  });
  return {
    addr: channel.target,
    cancel: () => {
      done = true;
      call.cancel();
    },
  };
}

function streamEnd(status: CallStatus): StreamEnd {
  if (status.code === 'OK') return { kind: 'completed' };
  if (status.code === 'INVALID_ARGUMENT') return { kind: 'invalid-argument', message: status.message };
  return {
    kind: 'failed',
    status: status.code,
    message: status.message,
    ...(status.tlsProblem === undefined ? {} : { tlsProblem: status.tlsProblem }),
  };
}
