// Where the live-traffic and health verbs (`stat`, `routes`, `edges`, `check`) find proxies: a ProxySource
// lists ProxyTargets, each a proxy whose admin endpoints (/metrics, /ready) can be read. Two
// sources implement it: the local mesh's state.json (proxy-source-local.ts) and a Kubernetes
// cluster through the API server's pod proxy (../kube/proxy-source-kubernetes.ts).
//
// Contract: `list` throws ProxySourceError (a message meant for people) when there is nowhere to
// look (no local mesh, an unreachable or forbidding API server). A target's `get` never throws for
// an HTTP status of the proxy; it rejects only when the proxy could not be asked (refused, timed
// out, aborted, the API server could not reach the pod), with a short reason in the message.

import type { AdminResponse } from './mesh-state.ts';

export interface ProxyTarget {
  /** The local component name (`web-proxy`) or the pod name. */
  readonly name: string;
  /** The workload it serves: `web` locally, `deployment/web` on Kubernetes. */
  readonly workload: string;
  /** The pod's namespace; undefined in the local mesh. */
  readonly namespace: string | undefined;
  /** Where its admin endpoints are, for messages (`http://127.0.10.1:4191`, `pod shop/web-1:4191`). */
  readonly address: string;
  /** Its log file, or a command that shows its log; '' when unknown. */
  readonly log: string;
  /** Its IP (the pod IP, the local inbound host), to recognise it as another proxy's `target_ip`. */
  readonly host?: string | undefined;
  /** The identity it serves under (state.json, or the pod spec's env); undefined when unknown. */
  readonly identity?: string | undefined;
  /** GET `path` (e.g. `/metrics`) on its admin server. */
  get(path: string, timeoutMs: number, signal: AbortSignal): Promise<AdminResponse>;
}

/** A meshed pod that is not scraped (Pending, terminating, no IP yet), and why. */
export interface SkippedProxy {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly workload: string;
  readonly reason: string;
}

export interface ProxyList {
  readonly targets: readonly ProxyTarget[];
  readonly skipped: readonly SkippedProxy[];
}

export interface ProxySource {
  readonly kind: 'local' | 'kubernetes';
  /** Where it looks, for messages (`the local mesh`, `namespace shop of context kind-dev`). */
  readonly where: string;
  list(signal: AbortSignal): Promise<ProxyList>;
}

/** Nowhere to look: the message says why and what to do. */
export class ProxySourceError extends Error {
  override readonly name: string = 'ProxySourceError';
}
