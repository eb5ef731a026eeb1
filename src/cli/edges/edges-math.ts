// The arithmetic of `nodemesh edges` (and the dashboard's topology), pure: who calls whom, paired
// from both ends of each call. The source's outbound proxy counts requests per destination (its
// `dst_*` labels — `dst_namespace`/`dst_pod` name a pod on Kubernetes —, `target_ip`, `server_id`
// when present); the destination's inbound proxy counts
// them per caller identity (`client_id` on tls="true"). One edge per (source, destination).
//
// Contract: nothing here does I/O or reads the clock. Values with no data behind them are
// `undefined`. A peer that no scraped proxy stands for is never guessed into one: it is named
// from the labels the other side saw (`dst_pod`, `dst_deployment`, `dst_service`, `authority`),
// or UNKNOWN, with `known: false`. The mTLS share of an edge is the destination's count of
// requests from the source's identity over mTLS ÷ what the sources with that identity sent it, in
// the window (clamped to 0..1, the two proxies being scraped a moment apart); undefined when the
// destination is not scraped. Plaintext requests a destination received that no scraped source
// accounts for become an edge from UNKNOWN.

import type { ParsedMetrics, Sample } from '../../metrics/index.ts';
import { counterDelta, perSecond, ratio } from '../stat/stat-math.ts';

export const UNKNOWN = 'unknown';

/** One scraped proxy: its workload, its own identity and two scrapes a window apart. */
export interface EdgeProxy {
  /** Its name in edges: the local workload (`web`), or `namespace/pod` on Kubernetes. */
  readonly workload: string;
  /** The identity the proxy serves under (state.json); undefined when it runs without one. */
  readonly identity: string | undefined;
  /** The proxy's IP, to recognise it as the `target_ip` of another proxy's outbound requests. */
  readonly host: string | undefined;
  readonly before: ParsedMetrics;
  readonly after: ParsedMetrics;
  readonly windowMs: number;
}

export interface Edge {
  readonly src: string;
  readonly dst: string;
  /** The caller's identity as the destination's inbound proxy saw it (client_id); undefined if not seen. */
  readonly srcId: string | undefined;
  /** The destination's identity: server_id, or the scraped destination's own identity once it saw the source over mTLS. */
  readonly dstId: string | undefined;
  /** Whether each end is a scraped proxy of the mesh (false: named from the other side's labels). */
  readonly srcKnown: boolean;
  readonly dstKnown: boolean;
  /** Which side's counters give the rates: the source's outbound, or (unknown callers) the destination's inbound. */
  readonly seenBy: 'outbound' | 'inbound';
  readonly requestsPerSecond: number;
  readonly successRate: number | undefined;
  /** Share of the window's requests that arrived over mTLS, 0..1. */
  readonly mtlsShare: number | undefined;
  /** Requests and responses in the window. */
  readonly requests: number;
  readonly responses: number;
}

/** Cumulative counts of one group of series in one scrape. */
interface Counts {
  requests: number;
  responses: number;
  successes: number;
}

interface Peer {
  readonly name: string;
  readonly known: boolean;
  readonly serverId: string | undefined;
}

const zero = (): Counts => ({ requests: 0, responses: 0, successes: 0 });

function add(map: Map<string, Counts>, key: string, s: Sample): void {
  let c = map.get(key);
  if (c === undefined) map.set(key, (c = zero()));
  if (s.name === 'request_total') c.requests += s.value;
  else {
    c.responses += s.value;
    if (s.labels.classification === 'success') c.successes += s.value;
  }
}

function isHttpCount(s: Sample, direction: string): boolean {
  return (s.name === 'request_total' || s.name === 'response_total') && s.labels.direction === direction;
}

/** Counts of one scrape's series in `direction`, grouped by `keyOf`. */
function grouped(metrics: ParsedMetrics, direction: string, keyOf: (s: Sample) => string): Map<string, Counts> {
  const map = new Map<string, Counts>();
  for (const s of metrics.samples) if (isHttpCount(s, direction)) add(map, keyOf(s), s);
  return map;
}

function delta(before: Counts | undefined, after: Counts): Counts {
  const b = before ?? zero();
  return {
    requests: counterDelta(b.requests, after.requests),
    responses: counterDelta(b.responses, after.responses),
    successes: counterDelta(b.successes, after.successes),
  };
}

/** The caller key of an inbound series: its client_id over mTLS, '' for plaintext. */
function callerOf(s: Sample): string {
  return s.labels.tls === 'true' ? (s.labels.client_id ?? '') : '';
}

/** Every edge seen by the proxies, sorted by source then destination. */
export function computeEdges(proxies: readonly EdgeProxy[]): Edge[] {
  const byWorkload = new Map(proxies.map((p) => [p.workload, p]));
  const hosts = new Map<string, EdgeProxy[]>();
  for (const p of proxies) if (p.host !== undefined) hosts.set(p.host, [...(hosts.get(p.host) ?? []), p]);
  const owners = new Map<string, EdgeProxy[]>();
  for (const p of proxies) if (p.identity !== undefined) owners.set(p.identity, [...(owners.get(p.identity) ?? []), p]);

  const peerOf = (labels: Readonly<Record<string, string>>): Peer => {
    const serverId = labels.server_id === '' ? undefined : labels.server_id;
    const pod = labels.dst_pod;
    // On Kubernetes a scraped proxy is named `namespace/pod`; locally by its pod name alone.
    const namespaced =
      pod === undefined || labels.dst_namespace === undefined ? undefined : `${labels.dst_namespace}/${pod}`;
    if (namespaced !== undefined && byWorkload.has(namespaced)) return { name: namespaced, known: true, serverId };
    if (pod !== undefined && byWorkload.has(pod)) return { name: pod, known: true, serverId };
    const sameHost = labels.target_ip === undefined ? undefined : hosts.get(labels.target_ip);
    const only = sameHost?.length === 1 ? sameHost[0] : undefined;
    if (only !== undefined) return { name: only.workload, known: true, serverId };
    const name = pod ?? labels.dst_deployment ?? labels.dst_service ?? labels.authority ?? labels.target_addr;
    return { name: name === undefined || name === '' ? UNKNOWN : name, known: false, serverId };
  };

  // Inbound counts per destination and caller (cumulative, before and after).
  const inbound = new Map<string, { before: Map<string, Counts>; after: Map<string, Counts> }>();
  for (const p of proxies) {
    inbound.set(p.workload, {
      before: grouped(p.before, 'inbound', callerOf),
      after: grouped(p.after, 'inbound', callerOf),
    });
  }

  // Outbound counts per source and destination peer.
  interface Out {
    readonly src: EdgeProxy;
    readonly peer: Peer;
    readonly window: Counts;
    readonly total: Counts;
  }
  const outs: Out[] = [];
  for (const src of proxies) {
    const peers = new Map<string, Peer>();
    const keyOf = (s: Sample): string => {
      const peer = peerOf(s.labels);
      const key = JSON.stringify([peer.name, peer.known]);
      const seen = peers.get(key);
      if (seen === undefined || (seen.serverId === undefined && peer.serverId !== undefined)) peers.set(key, peer);
      return key;
    };
    const before = grouped(src.before, 'outbound', keyOf);
    const after = grouped(src.after, 'outbound', keyOf);
    for (const [key, total] of after) {
      const peer = peers.get(key);
      if (peer !== undefined) outs.push({ src, peer, window: delta(before.get(key), total), total });
    }
  }

  /** What the sources with identity `id` sent to `dst` (window and cumulative). */
  const sentBy = (id: string | undefined, dst: string): { window: number; total: number } => {
    let window = 0;
    let total = 0;
    for (const o of outs) {
      if (o.peer.known && o.peer.name === dst && o.src.identity === id) {
        window += o.window.requests;
        total += o.total.requests;
      }
    }
    return { window, total };
  };

  const edges: Edge[] = [];
  for (const o of outs) {
    const seen = o.peer.known ? inbound.get(o.peer.name) : undefined;
    const id = o.src.identity;
    const fromId = id === undefined ? undefined : seen?.after.get(id);
    const fromIdWindow = id === undefined || fromId === undefined ? 0 : delta(seen?.before.get(id), fromId).requests;
    const sent = sentBy(id, o.peer.name);
    const dstProxy = o.peer.known ? byWorkload.get(o.peer.name) : undefined;
    edges.push({
      src: o.src.workload,
      dst: o.peer.name,
      srcId: fromId === undefined ? undefined : id,
      dstId: o.peer.serverId ?? (fromId === undefined ? undefined : dstProxy?.identity),
      srcKnown: true,
      dstKnown: o.peer.known,
      seenBy: 'outbound',
      requestsPerSecond: perSecond(o.window.requests, o.src.windowMs),
      successRate: ratio(o.window.successes, o.window.responses),
      mtlsShare: seen === undefined ? undefined : clampShare(ratio(fromIdWindow, sent.window)),
      requests: o.window.requests,
      responses: o.window.responses,
    });
  }

  // Callers a destination saw that no scraped source accounts for.
  for (const dst of proxies) {
    const seen = inbound.get(dst.workload);
    if (seen === undefined) continue;
    for (const [caller, total] of seen.after) {
      if (caller !== '' && !owners.has(caller))
        edges.push(inboundEdge(dst, caller, delta(seen.before.get(caller), total), 1));
    }
    // What scraped sources sent here beyond what arrived over mTLS under their identity came in plaintext.
    let explainedWindow = 0;
    let explainedTotal = 0;
    const senders = new Set(
      outs.filter((o) => o.peer.known && o.peer.name === dst.workload).map((o) => o.src.identity),
    );
    for (const id of senders) {
      const sent = sentBy(id, dst.workload);
      const total = id === undefined ? undefined : seen.after.get(id);
      const window = total === undefined || id === undefined ? 0 : delta(seen.before.get(id), total).requests;
      explainedWindow += Math.max(0, sent.window - window);
      explainedTotal += Math.max(0, sent.total - (total?.requests ?? 0));
    }
    const plain = seen.after.get('');
    if (plain === undefined) continue;
    const window = delta(seen.before.get(''), plain);
    const unexplainedWindow = Math.max(0, window.requests - explainedWindow);
    const unexplainedTotal = Math.max(0, plain.requests - explainedTotal);
    if (unexplainedTotal <= 0 && unexplainedWindow <= 0) continue;
    // The responses of unexplained plaintext callers cannot be told apart: scale the plaintext ones.
    const scale = window.requests > 0 ? unexplainedWindow / window.requests : 0;
    edges.push(
      inboundEdge(
        dst,
        '',
        {
          requests: unexplainedWindow,
          responses: window.responses * scale,
          successes: window.successes * scale,
        },
        0,
      ),
    );
  }

  return edges.sort((x, y) => x.src.localeCompare(y.src) || x.dst.localeCompare(y.dst));
}

function inboundEdge(dst: EdgeProxy, caller: string, window: Counts, mtls: number): Edge {
  return {
    src: UNKNOWN,
    dst: dst.workload,
    srcId: caller === '' ? undefined : caller,
    dstId: caller === '' ? undefined : dst.identity,
    srcKnown: false,
    dstKnown: true,
    seenBy: 'inbound',
    requestsPerSecond: perSecond(window.requests, dst.windowMs),
    successRate: ratio(window.successes, window.responses),
    mtlsShare: window.requests > 0 ? mtls : undefined,
    requests: window.requests,
    responses: window.responses,
  };
}

function clampShare(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.min(1, Math.max(0, value));
}
