// EndpointDiff: what the streams of one target have been told, and the updates that bring them to a
// new endpoint set (Linkerd's endpoint translator diffing). One per target, shared by its streams:
// they all hold the same state, and a stream that joins later starts from `snapshot()`.
//
// Contract: next() returns the updates to send, in order, possibly none. The first call always
// returns at least one message (the prompt first answer). Adds come before removes, so a rolling
// change never shows an empty set in between; a changed endpoint (new labels, identity, hint) is
// sent again as an add, which replaces it. An endpoint is unchanged when the set carries the very
// TranslatedEndpoint object sent last, or one that encodes to the same bytes (a pod update that
// changed nothing the proxy sees). A Service with no ready endpoints is `no_endpoints{exists:true}`,
// a missing one `no_endpoints{exists:false}`; each is sent once while it lasts. Set-level metric
// labels and balancer annotations are attached to every add; when the annotations change, the whole
// set is sent again so the clients see them at once. Updates returned are never mutated afterwards (they may be
// sent on many streams and their encoding cached).

import { WeightedAddr, type TcpAddress, type Update } from '../../src/api/index.ts';
import type { EndpointSet, TranslatedEndpoint } from './endpoint-translator.ts';

type Told = 'nothing' | 'missing' | 'empty' | 'endpoints';

const NOTHING_SENT: ReadonlyMap<string, TranslatedEndpoint> = new Map();

export class EndpointDiff {
  #told: Told = 'nothing';
  /** Key → what the streams hold: the `endpoints` of the last set (never mutated), not a copy. */
  #sent: ReadonlyMap<string, TranslatedEndpoint> = NOTHING_SENT;
  #metricLabels: Readonly<Record<string, string>> = {};
  #balancer: Readonly<Record<string, string>> = {};
  /** The whole state as one message, built on demand and kept until the state changes. */
  #snapshot: Update | undefined;

  next(set: EndpointSet): Update[] {
    if (set.state === 'missing' || set.endpoints.size === 0) {
      const told: Told = set.state === 'missing' ? 'missing' : 'empty';
      if (this.#told === told) return [];
      this.#told = told;
      this.#sent = NOTHING_SENT;
      this.#snapshot = undefined;
      return [noEndpoints(told === 'empty')];
    }
    const added: WeightedAddr[] = [];
    const resendAll = this.#told === 'endpoints' && !sameMap(this.#balancer, set.balancerAnnotations);
    for (const [key, endpoint] of set.endpoints) {
      const last = this.#sent.get(key);
      if (!resendAll && (last === endpoint || (last !== undefined && sameEncoding(last.addr, endpoint.addr)))) continue;
      added.push(endpoint.addr);
    }
    const removed: TcpAddress[] = [];
    for (const [key, endpoint] of this.#sent) {
      if (!set.endpoints.has(key) && endpoint.addr.addr !== undefined) removed.push(endpoint.addr.addr);
    }
    const first = this.#told !== 'endpoints';
    this.#told = 'endpoints';
    this.#sent = set.endpoints;
    this.#metricLabels = set.metricLabels;
    this.#balancer = set.balancerAnnotations;
    const updates: Update[] = [];
    if (added.length > 0) updates.push(addUpdate(added, set.metricLabels, set.balancerAnnotations));
    if (removed.length > 0) updates.push({ update: { $case: 'remove', remove: { addrs: removed } } });
    if (updates.length > 0 || first) this.#snapshot = undefined;
    return updates;
  }

  /** Everything the streams hold, as the first message of a stream that joins now. */
  snapshot(): Update {
    this.#snapshot ??=
      this.#told === 'endpoints'
        ? addUpdate(
            [...this.#sent.values()].map((e) => e.addr),
            this.#metricLabels,
            this.#balancer,
          )
        : noEndpoints(this.#told === 'empty');
    return this.#snapshot;
  }
}

function addUpdate(
  addrs: WeightedAddr[],
  metricLabels: Readonly<Record<string, string>>,
  balancerAnnotations: Readonly<Record<string, string>>,
): Update {
  return {
    update: {
      $case: 'add',
      add: { addrs, metricLabels: { ...metricLabels }, balancerAnnotations: { ...balancerAnnotations } },
    },
  };
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function noEndpoints(exists: boolean): Update {
  return { update: { $case: 'noEndpoints', noEndpoints: { exists } } };
}

function sameEncoding(a: WeightedAddr, b: WeightedAddr): boolean {
  return Buffer.from(WeightedAddr.encode(a).finish()).equals(WeightedAddr.encode(b).finish());
}
