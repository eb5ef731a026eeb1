// Applies one Update of a Get stream (add / remove / no_endpoints, reference §1.3) to an
// EndpointSet snapshot. Pure: returns a new snapshot, or the same one when nothing changed, so a
// caller can skip notifying its users.
//
// Contract, following the stream rules (clients tolerate any ordering and duplicates):
// - add: inserts or replaces endpoints by `host:port`; an add that leaves the set empty (an empty
//   add on top of nothing) means the service exists with no endpoints.
// - remove: drops the listed addresses, ignoring unknown ones; removing the last one is
//   no_endpoints{exists:true}.
// - no_endpoints{exists}: clears the set.
// - An Update with no case set is ignored. Addresses that do not decode are skipped and reported
//   through `onBadAddress` (the rest of the message still applies).
// To start a new stream over ("the first message replaces the state"), apply it to PENDING_ENDPOINTS.

import { formatTcpAddress, type Update } from '../../src/api/index.ts';
import {
  endpointFromWeightedAddr,
  endpointKey,
  endpointSetOf,
  endpointsOf,
  noEndpointsSet,
  sameEndpointSet,
  type Endpoint,
  type EndpointSet,
} from './endpoint.ts';

export type BadAddressReporter = (err: unknown) => void;

export function applyEndpointUpdate(
  current: EndpointSet,
  update: Update,
  onBadAddress: BadAddressReporter = () => undefined,
): EndpointSet {
  const u = update.update;
  let next: EndpointSet;
  switch (u?.$case) {
    case undefined:
      return current;
    case 'noEndpoints':
      next = noEndpointsSet(u.noEndpoints.exists);
      break;
    case 'add': {
      const map = byKey(endpointsOf(current));
      for (const addr of u.add.addrs) {
        try {
          const e = endpointFromWeightedAddr(addr, u.add.metricLabels, u.add.balancerAnnotations);
          map.set(endpointKey(e), e);
        } catch (err) {
          onBadAddress(err);
        }
      }
      next = endpointSetOf([...map.values()]);
      break;
    }
    case 'remove': {
      const map = byKey(endpointsOf(current));
      for (const addr of u.remove.addrs) {
        try {
          map.delete(formatTcpAddress(addr));
        } catch (err) {
          onBadAddress(err);
        }
      }
      next = endpointSetOf([...map.values()]);
      break;
    }
  }
  return sameEndpointSet(current, next) ? current : next;
}

function byKey(endpoints: readonly Endpoint[]): Map<string, Endpoint> {
  return new Map(endpoints.map((e) => [endpointKey(e), e]));
}
