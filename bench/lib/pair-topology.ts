// The processes of the proxy-pair benchmarks, started once per run and stopped at its end (also on
// failure): the upstreams, the haproxy reference pair (TLS between the two sides) and the nodemesh
// pair (identity, destination and two proxies, mTLS between them), with one path per
// configuration and upstream kind:
//
//   direct         client → upstream
//   haproxy-pair   client → haproxy (client side) → TLS 1.3, client cert → haproxy (server side) → upstream
//   nodemesh-pair  client → nodemesh proxy (outbound) → mTLS → nodemesh proxy (inbound) → upstream
//
// Addresses: the client-side pod on 127.X.Y.1 and the server-side pod on 127.X.Y.2 (a random free
// pair, so port 4143 is the server side's, as in a pod); the upstreams listen on the server-side
// address. CPU layout with 2+ CPUs (taskset): the four proxies on CPU 0 — each side of each pair
// shares that core, the same for haproxy and nodemesh — and the upstreams, identity, destination,
// the load generator and the harness on CPU 1.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/net/index.ts';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import {
  Children,
  canPin,
  fileLimit as childFileLimit,
  pinSelf,
  waitPort,
  withFileLimit,
  type Child,
} from './children.ts';
import { startHaproxy, upstreamConfig } from './haproxy.ts';
import { haproxyClientSide, haproxyInfo, haproxyServerSide, type HaproxyPairRoute } from './haproxy-pair.ts';
import { chartProxyNodeOptions } from './proxy-node-options.ts';
import { requireTools } from './load-tools.ts';
import { createBenchCa, writeHaproxyPem, type LeafPem } from './mesh-ca.ts';
import { NODEMESH_SOURCE_BIN, PEER_INBOUND_PORT, startNodemeshPair, type NodemeshPair } from './nodemesh-pair.ts';
import { nodemeshUnderTest, type NodemeshUnderTest } from './nodemesh-version.ts';
import { preflight, type PreflightProtocol } from './preflight.ts';

const GRPC_UPSTREAM = fileURLToPath(new URL('./grpc-upstream.ts', import.meta.url));
const BODY_UPSTREAM = fileURLToPath(new URL('./body-upstream.ts', import.meta.url));

/** What answers behind the pair: small responses over h1, h2c or gRPC, or large bodies. */
export type UpstreamKind = 'h1' | 'h2' | 'grpc' | 'large-h1' | 'large-h2';
export type PairConfig = 'direct' | 'haproxy-pair' | 'nodemesh-pair';
export const PAIR_CONFIGS: readonly PairConfig[] = ['direct', 'haproxy-pair', 'nodemesh-pair'];
/** The default large response: 10 MiB. */
export const LARGE_BODY_BYTES = 10 * 1024 * 1024;

export function kindProtocol(kind: UpstreamKind): PreflightProtocol {
  return kind === 'grpc' ? 'grpc' : kind === 'h2' || kind === 'large-h2' ? 'h2' : 'http1';
}

export interface PairTopologyOptions {
  readonly kinds: readonly UpstreamKind[];
  /** Pin the proxies to CPU 0 and everything else to CPU 1 (when there are 2+ CPUs and taskset). */
  readonly pin: boolean;
  readonly largeBodyBytes?: number;
  /** Client connections a proxy must be able to hold (raises haproxy's maxconn and the fd limits). */
  readonly maxConnections?: number;
  /** The nodemesh entry point (default the sources; the footprint scenario also runs a build). */
  readonly nodemeshBin?: string;
  /**
   * NODE_OPTIONS for the nodemesh proxies (profiling, A/B); default the chart's `proxy.nodeOptions`,
   * what the injector gives every proxy (bench/lib/proxy-node-options.ts).
   */
  readonly proxyNodeOptions?: string;
  /** More environment for the nodemesh proxies (A/B of proxy settings). */
  readonly proxyEnv?: Readonly<Record<string, string>>;
}

/** Where a client sends for one configuration and upstream kind. */
export interface PairPath {
  readonly host: string;
  readonly port: number;
  /** The Host / :authority to send (the nodemesh pair routes by it; the others ignore it). */
  readonly authority: string;
  readonly protocol: PreflightProtocol;
}

/** A server side's TLS port as a TLS client sees it (the churn scenario connects there itself). */
export interface ServerTlsTarget {
  readonly host: string;
  readonly port: number;
  readonly servername: string;
  /** The Host header of an HTTP/1.1 request for the h1 upstream. */
  readonly authority: string;
}

export interface PairTopology {
  /** The open-file limit of the proxies (raised when the topology was asked for many connections and allowed to). */
  readonly fileLimit: number | undefined;
  /** The nodemesh that runs (entry point, commit). */
  readonly nodemesh: NodemeshUnderTest;
  readonly pinned: boolean;
  readonly proxyCpu: number | undefined;
  readonly restCpu: number | undefined;
  readonly layout: string;
  readonly largeBodyBytes: number;
  readonly clientIp: string;
  readonly serverIp: string;
  path(config: PairConfig, kind: UpstreamKind): PairPath;
  /** The proxy processes of a configuration: [client side, server side]; none for direct. */
  proxies(config: PairConfig): readonly Child[];
  upstream(kind: UpstreamKind): Child;
  /**
   * Connections the server side has accepted so far, i.e. TLS handshakes between the two proxies
   * (nodemesh: tcp_open_total{direction="inbound"} of the server side; haproxy: CumSslConns of
   * the server side's `show info`). NaN for direct.
   */
  serverConnections(config: PairConfig): Promise<number>;
  serverTls(config: 'haproxy-pair' | 'nodemesh-pair'): ServerTlsTarget;
  /** A client certificate from the mesh CA (for the TLS churn client) and the trust anchors. */
  readonly clientLeaf: LeafPem;
  readonly caPem: string;
  /** One checked request through every path of every kind. */
  preflightAll(): Promise<void>;
  /** One checked request through one path. */
  preflightPath(config: PairConfig, kind: UpstreamKind): Promise<void>;
  stop(): Promise<void>;
}

export async function startPairTopology(o: PairTopologyOptions): Promise<PairTopology> {
  const tools = requireTools(['haproxy']);
  const pin = o.pin && canPin();
  const proxyCpu = pin ? 0 : undefined;
  const restCpu = pin ? 1 : undefined;
  const children = new Children();
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-pair-'));
  const stop = async (): Promise<void> => {
    await children.stopAll();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (restCpu !== undefined) pinSelf(restCpu);
    const largeBodyBytes = o.largeBodyBytes ?? LARGE_BODY_BYTES;
    const fileLimit =
      o.maxConnections === undefined ? undefined : childFileLimit(Math.max(4 * o.maxConnections + 1000, 65_536));
    const haMaxconn = o.maxConnections === undefined ? undefined : o.maxConnections + 1000;
    const { clientIp, serverIp } = await podAddresses();
    const ca = await createBenchCa(dir);
    const kinds = [...new Set(o.kinds)];

    // Upstreams, on the server-side pod's address.
    const upstreamPort = new Map<UpstreamKind, number>();
    const upstreams = new Map<UpstreamKind, Child>();
    // Readiness checks started now and awaited after the nodemesh pair is up: each is marked
    // handled at once, so a process that dies early cannot crash the harness (an unhandled
    // rejection) before the catch below stops every child; Promise.all still rejects with it.
    const waits: Promise<void>[] = [];
    const wait = (p: Promise<void>): void => {
      p.catch(() => undefined);
      waits.push(p);
    };
    const on = (c: number | undefined): { cpu?: number } => (c === undefined ? {} : { cpu: c });
    if (kinds.includes('h1') || kinds.includes('h2')) {
      const [h1, h2] = [await freePort(serverIp), await freePort(serverIp)];
      const cfg = path.join(dir, 'upstream.cfg');
      await writeFile(cfg, upstreamConfig(h1, h2, serverIp));
      const child = startHaproxy(children, 'haproxy upstream', tools.haproxy, cfg, restCpu);
      upstreamPort.set('h1', h1).set('h2', h2);
      upstreams.set('h1', child).set('h2', child);
      wait(waitPort(child, h1, serverIp));
      wait(waitPort(child, h2, serverIp));
    }
    if (kinds.includes('grpc')) {
      const port = await freePort(serverIp);
      const child = children.start(
        'grpc upstream',
        process.execPath,
        [GRPC_UPSTREAM, String(port), serverIp],
        on(restCpu),
      );
      upstreamPort.set('grpc', port);
      upstreams.set('grpc', child);
      wait(waitPort(child, port, serverIp));
    }
    if (kinds.includes('large-h1') || kinds.includes('large-h2')) {
      const [h1, h2] = [await freePort(serverIp), await freePort(serverIp)];
      const child = children.start(
        'body upstream',
        process.execPath,
        [BODY_UPSTREAM, serverIp, String(h1), String(h2), String(largeBodyBytes)],
        on(restCpu),
      );
      upstreamPort.set('large-h1', h1).set('large-h2', h2);
      upstreams.set('large-h1', child).set('large-h2', child);
      wait(waitPort(child, h1, serverIp));
      wait(waitPort(child, h2, serverIp));
    }
    const portOf = (kind: UpstreamKind): number => {
      const p = upstreamPort.get(kind);
      if (p === undefined) throw new Error(`this topology has no ${kind} upstream (kinds: ${kinds.join(', ')})`);
      return p;
    };

    // The haproxy pair, one route per kind.
    const clientLeaf = await ca.leaf('shop', 'front');
    const serverLeaf = await ca.leaf('shop', 'web');
    const caFile = path.join(dir, 'ca.pem');
    await writeFile(caFile, ca.anchorPem);
    const files = {
      caFile,
      clientPem: await writeHaproxyPem(path.join(dir, 'haproxy-client.pem'), clientLeaf),
      serverPem: await writeHaproxyPem(path.join(dir, 'haproxy-server.pem'), serverLeaf),
      serverIdentity: serverLeaf.identity,
    };
    const routes: HaproxyPairRoute[] = [];
    for (const kind of kinds) {
      routes.push({
        name: `k-${kind}`,
        h2: kindProtocol(kind) !== 'http1',
        clientListen: { host: clientIp, port: await freePort(clientIp) },
        serverListen: { host: serverIp, port: await freePort(serverIp) },
        upstream: { host: serverIp, port: portOf(kind) },
      });
    }
    const route = (kind: UpstreamKind): HaproxyPairRoute => {
      const r = routes.find((x) => x.name === `k-${kind}`);
      if (r === undefined) throw new Error(`this topology has no ${kind} route`);
      return r;
    };
    const statsSocket = path.join(dir, 'haproxy-server.sock');
    const clientCfg = path.join(dir, 'haproxy-client.cfg');
    const serverCfg = path.join(dir, 'haproxy-server.cfg');
    await writeFile(clientCfg, haproxyClientSide(routes, files, haMaxconn));
    await writeFile(serverCfg, haproxyServerSide(routes, files, statsSocket, haMaxconn));
    const haStart = (name: string, cfg: string): Child => {
      const [cmd, args] =
        fileLimit === undefined
          ? [tools.haproxy, ['-db', '-f', cfg]]
          : withFileLimit(fileLimit, tools.haproxy, ['-db', '-f', cfg]);
      return children.start(name, cmd, args, on(proxyCpu));
    };
    const haServer = haStart('haproxy server side', serverCfg);
    const haClient = haStart('haproxy client side', clientCfg);
    for (const r of routes) wait(waitPort(haServer, r.serverListen.port, serverIp));
    for (const r of routes) wait(waitPort(haClient, r.clientListen.port, clientIp));

    // The nodemesh pair.
    const services = kinds.map((kind) => ({ name: `web-${kind}`, port: portOf(kind) }));
    const mesh: NodemeshPair = await startNodemeshPair({
      children,
      dir,
      ca,
      clientIp,
      serverIp,
      services,
      ...(o.nodemeshBin === undefined ? {} : { bin: o.nodemeshBin }),
      ...(proxyCpu === undefined ? {} : { proxyCpu }),
      ...(restCpu === undefined ? {} : { controlCpu: restCpu }),
      proxyNodeOptions: o.proxyNodeOptions ?? chartProxyNodeOptions(),
      ...(o.proxyEnv === undefined ? {} : { proxyEnv: o.proxyEnv }),
      ...(fileLimit === undefined ? {} : { fileLimit }),
    });
    await Promise.all(waits);

    const path_ = (config: PairConfig, kind: UpstreamKind): PairPath => {
      const authority = mesh.authority(`web-${kind}`);
      const protocol = kindProtocol(kind);
      switch (config) {
        case 'direct':
          return { host: serverIp, port: portOf(kind), authority, protocol };
        case 'haproxy-pair':
          return { host: clientIp, port: route(kind).clientListen.port, authority, protocol };
        case 'nodemesh-pair':
          return { host: mesh.outbound.host, port: mesh.outbound.port, authority, protocol };
      }
    };
    const topology: PairTopology = {
      fileLimit,
      nodemesh: nodemeshUnderTest(o.nodemeshBin ?? NODEMESH_SOURCE_BIN),
      pinned: pin,
      proxyCpu,
      restCpu,
      layout: pin
        ? 'both proxies of the pair under test on CPU 0; upstream, identity, destination, load generator and harness on CPU 1 (taskset)'
        : 'not pinned',
      largeBodyBytes,
      clientIp,
      serverIp,
      path: path_,
      proxies: (config) =>
        config === 'haproxy-pair' ? [haClient, haServer] : config === 'nodemesh-pair' ? [mesh.client, mesh.server] : [],
      upstream: (kind) => {
        const u = upstreams.get(kind);
        if (u === undefined) throw new Error(`this topology has no ${kind} upstream`);
        return u;
      },
      serverConnections: async (config) => {
        switch (config) {
          case 'direct':
            return Number.NaN;
          case 'haproxy-pair': {
            const info = await haproxyInfo(statsSocket);
            return Number(info.CumSslConns ?? info.CumConns ?? Number.NaN);
          }
          case 'nodemesh-pair': {
            const text = await (await fetch(`${mesh.serverAdmin}/metrics`)).text();
            return sumSamples(parsePrometheusText(text), 'tcp_open_total', { direction: 'inbound' });
          }
        }
      },
      serverTls: (config) => {
        const h1 = upstreamPort.get('h1') ?? upstreamPort.get('large-h1') ?? 0;
        if (config === 'nodemesh-pair')
          return {
            host: serverIp,
            port: PEER_INBOUND_PORT,
            servername: mesh.serverIdentity,
            authority: `${serverIp}:${h1}`,
          };
        const r = routes.find((x) => !x.h2);
        if (r === undefined) throw new Error('the TLS churn needs an HTTP/1.1 upstream kind in the topology');
        return {
          host: serverIp,
          port: r.serverListen.port,
          servername: files.serverIdentity,
          authority: `${serverIp}:${h1}`,
        };
      },
      clientLeaf,
      caPem: ca.anchorPem,
      preflightAll: async () => {
        for (const kind of kinds)
          for (const config of PAIR_CONFIGS)
            await preflightRetrying(path_(config, kind), kind.startsWith('large') ? largeBodyBytes : undefined, {
              label: `${config} ${kind}`,
              exited: () => children.exited(),
            });
      },
      preflightPath: (config, kind) =>
        preflightRetrying(path_(config, kind), kind.startsWith('large') ? largeBodyBytes : undefined, {
          label: `${config} ${kind}`,
          exited: () => children.exited(),
        }),
      stop,
    };
    return topology;
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * One checked request through a path, retried for up to 20 s: a proxy's first lookup of a name
 * waits at most 1 s for discovery and then falls back to the name itself (502 ENOTFOUND), which a
 * busy machine can hit right after start.
 */
async function preflightRetrying(
  p: PairPath,
  bodyBytes: number | undefined,
  about: { readonly label: string; readonly exited: () => readonly string[] },
): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await preflight(p.protocol, {
        host: p.host,
        port: p.port,
        authority: p.authority,
        ...(bodyBytes === undefined ? {} : { bodyBytes, timeoutMs: 30_000 }),
      });
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        // Say which path, and which processes of the topology are gone, so a failure explains itself.
        const gone = about.exited();
        throw new Error(
          `the ${about.label} path (${p.host}:${p.port}) still fails after 20 s: ${(err as Error).message}; ` +
            (gone.length === 0 ? 'every process of the topology is running' : `exited: ${gone.join('; ')}`),
          { cause: err },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** A random pair of loopback addresses 127.X.Y.1 / 127.X.Y.2 whose port 4143 is free on the second. */
async function podAddresses(): Promise<{ clientIp: string; serverIp: string }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const x = 100 + Math.floor(Math.random() * 100);
    const y = 1 + Math.floor(Math.random() * 250);
    const serverIp = `127.${x}.${y}.2`;
    if (await portFree(serverIp, PEER_INBOUND_PORT)) return { clientIp: `127.${x}.${y}.1`, serverIp };
  }
  throw new Error(`no loopback address with port ${PEER_INBOUND_PORT} free found in 20 tries`);
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}
