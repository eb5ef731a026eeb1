// EndpointDiff: what one Get stream has been told, and the updates that bring it to a new endpoint
// set (Linkerd's endpoint translator diffing). One per stream; not shared.
//
// Contract: next() returns the updates to send, in order, possibly none. The first call always
// returns at least one message (the stream's prompt first answer). Adds come before removes, so a
// rolling change never shows an empty set in between; a changed endpoint (new labels, identity,
// hint) is sent again as an add, which replaces it. A Service with no ready endpoints is
// `no_endpoints{exists:true}`, a missing one `no_endpoints{exists:false}`; each is sent once
// while it lasts. Set-level metric labels are attached to every add.

import { WeightedAddr, type TcpAddress, type Update } from '../../src/api/index.ts';
import type { EndpointSet } from './endpoint-translator.ts';

type Told = 'nothing' | 'missing' | 'empty' | 'endpoints';

export class EndpointDiff {
  #told: Told = 'nothing';
  /** Key → [encoded WeightedAddr, its address] of what the stream holds. */
  #sent = new Map<string, { readonly bytes: string; readonly addr: TcpAddress | undefined }>();

  next(set: EndpointSet): Update[] {
    if (set.state === 'missing' || set.addrs.size === 0) {
      const told: Told = set.state === 'missing' ? 'missing' : 'empty';
      if (this.#told === told) return [];
      this.#told = told;
      this.#sent.clear();
      return [{ update: { $case: 'noEndpoints', noEndpoints: { exists: told === 'empty' } } }];
    }
    const added: WeightedAddr[] = [];
    const next = new Map<string, { readonly bytes: string; readonly addr: TcpAddress | undefined }>();
    for (const [key, addr] of set.addrs) {
      const bytes = Buffer.from(WeightedAddr.encode(addr).finish()).toString('base64');
      next.set(key, { bytes, addr: addr.addr });
      if (this.#sent.get(key)?.bytes !== bytes) added.push(addr);
    }
    const removed: TcpAddress[] = [];
    for (const [key, entry] of this.#sent) {
      if (!next.has(key) && entry.addr !== undefined) removed.push(entry.addr);
    }
    this.#told = 'endpoints';
    this.#sent = next;
    const updates: Update[] = [];
    if (added.length > 0) {
      updates.push({ update: { $case: 'add', add: { addrs: added, metricLabels: { ...set.metricLabels } } } });
    }
    if (removed.length > 0) updates.push({ update: { $case: 'remove', remove: { addrs: removed } } });
    return updates;
  }
}
