// The endpoint model of discovery: what the proxy needs to know about one address behind an
// authority (from a WeightedAddr of the Destination API, reference §1.3), and the immutable
// EndpointSet snapshot a resolution hands to its users.
//
// Contract: snapshots and the endpoints in them are frozen; a change always makes a new snapshot.
// `labels` are the set's metric_labels overlaid with the address's own (the address wins); they
// become the dst_* labels of metrics. Endpoints are keyed by `host:port` (`[v6]:port`).

import { tcpAddressToParts, type WeightedAddr } from '../../src/api/index.ts';

export type ProtocolHintKind = 'h2' | 'opaque' | undefined;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** tls_identity.dns_like_identity.name: the identity the peer proxy must present. */
  readonly identity?: string;
  readonly protocolHint: ProtocolHintKind;
  /** protocol_hint.opaque_transport.inbound_port: the peer proxy's inbound port. */
  readonly opaqueTransportPort?: number;
  readonly labels: Readonly<Record<string, string>>;
  /** The Service's balancer.linkerd.io/* annotations from the set (absent when there are none). */
  readonly balancer?: Readonly<Record<string, string>>;
}

export type EndpointState =
  | { readonly kind: 'pending' }
  | { readonly kind: 'endpoints'; readonly endpoints: readonly Endpoint[] }
  /** exists=false: the destination service does not know the name (the caller may use DNS). */
  | { readonly kind: 'no-endpoints'; readonly exists: boolean };

export interface EndpointSet {
  readonly state: EndpointState;
}

export const PENDING_ENDPOINTS: EndpointSet = Object.freeze({ state: Object.freeze({ kind: 'pending' }) });

/** A frozen EndpointSet: 'endpoints' when `endpoints` is non-empty, else no-endpoints exists=true. */
export function endpointSetOf(endpoints: readonly Endpoint[]): EndpointSet {
  if (endpoints.length === 0) return noEndpointsSet(true);
  const sorted = [...endpoints].sort((a, b) => compareKeys(endpointKey(a), endpointKey(b)));
  return Object.freeze({ state: Object.freeze({ kind: 'endpoints', endpoints: Object.freeze(sorted) }) });
}

export function noEndpointsSet(exists: boolean): EndpointSet {
  return Object.freeze({ state: Object.freeze({ kind: 'no-endpoints', exists }) });
}

/** The endpoints of a snapshot (empty unless its state is 'endpoints'). */
export function endpointsOf(set: EndpointSet): readonly Endpoint[] {
  return set.state.kind === 'endpoints' ? set.state.endpoints : [];
}

/** `10.1.0.1:8080` or `[2001:db8::1]:8080`. */
export function endpointKey(e: { readonly host: string; readonly port: number }): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** Builds a frozen Endpoint from a WeightedAddr; throws ProtobufDecodeError on a bad address. */
export function endpointFromWeightedAddr(
  addr: WeightedAddr,
  setLabels: Readonly<Record<string, string>>,
  balancer: Readonly<Record<string, string>> = {},
): Endpoint {
  if (addr.addr === undefined) throw new TypeError('WeightedAddr has no addr');
  const { host, port } = tcpAddressToParts(addr.addr);
  const strategy = addr.tlsIdentity?.strategy;
  const identity = strategy?.$case === 'dnsLikeIdentity' ? strategy.dnsLikeIdentity.name : undefined;
  const hint = addr.protocolHint;
  let protocolHint: ProtocolHintKind;
  switch (hint?.protocol?.$case) {
    case 'h2':
      protocolHint = 'h2';
      break;
    case 'opaque':
      protocolHint = 'opaque';
      break;
    case undefined:
      protocolHint = undefined;
      break;
  }
  const inbound = hint?.opaqueTransport?.inboundPort;
  return Object.freeze({
    host,
    port,
    weight: addr.weight,
    ...(identity === undefined || identity === '' ? {} : { identity }),
    protocolHint,
    ...(inbound === undefined || inbound === 0 ? {} : { opaqueTransportPort: inbound }),
    labels: Object.freeze({ ...setLabels, ...addr.metricLabels }),
    ...(Object.keys(balancer).length === 0 ? {} : { balancer: Object.freeze({ ...balancer }) }),
  });
}

/** True when two endpoints carry the same fields (used to skip no-op updates). */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  if (
    a.host !== b.host ||
    a.port !== b.port ||
    a.weight !== b.weight ||
    a.identity !== b.identity ||
    a.protocolHint !== b.protocolHint ||
    a.opaqueTransportPort !== b.opaqueTransportPort
  ) {
    return false;
  }
  return sameRecord(a.labels, b.labels) && sameRecord(a.balancer ?? {}, b.balancer ?? {});
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => a[k] === b[k]);
}

/** True when two snapshots describe the same state. */
export function sameEndpointSet(a: EndpointSet, b: EndpointSet): boolean {
  if (a === b) return true;
  const x = a.state;
  const y = b.state;
  switch (x.kind) {
    case 'pending':
      return y.kind === 'pending';
    case 'no-endpoints':
      return y.kind === 'no-endpoints' && y.exists === x.exists;
    case 'endpoints': {
      if (y.kind !== 'endpoints' || y.endpoints.length !== x.endpoints.length) return false;
      return x.endpoints.every((e, i) => {
        const other = y.endpoints[i];
        return other !== undefined && sameEndpoint(e, other);
      });
    }
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
