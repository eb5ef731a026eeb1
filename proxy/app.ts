// The sidecar proxy assembled: outbound and inbound listeners, protocol detection, the HTTP
// proxies, opaque TCP forwarding, metrics, the admin server, the control server (tap) and
// graceful shutdown.
//
// Contract: start() binds every listener and resolves with their addresses; readiness() is true
// once listening and (when identity is on) certified; shutdown(graceMs) stops accepting at once,
// lets in-flight requests and connections finish for up to graceMs, then closes the rest (tap
// streams end at once: they never finish by themselves).

import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { AdminServer, type Readiness } from '../src/admin/index.ts';
import { TRANSPORT_HEADER_ALPN } from '../src/api/index.ts';
import type { SocketAddress } from '../src/config/index.ts';
import { componentLogger, type Logger } from '../src/log/index.ts';
import { nodeTls } from '../src/net/index.ts';
import {
  Counter,
  type CounterChild,
  type Registry,
  createHttpMetrics,
  createRouteMetrics,
  createTcpMetrics,
  type TcpMetrics,
} from '../src/metrics/index.ts';
import type { TrustBundle } from '../src/tls/index.ts';
import { parseAuthority } from './authority.ts';
import {
  ENV_CONTROL_LISTEN_ADDR,
  ENV_INBOUND_LISTEN_ADDR,
  ENV_OUTBOUND_LISTEN_ADDRS,
  type ProxyConfig,
} from './config.ts';
import { attachContext, type ConnectionContext, type Direction } from './connection.ts';
import { endpointMetricsLayer } from './http/endpoint-metrics.ts';
import { Forwarder } from './http/forward.ts';
import { HttpProxy, type Endpoint } from './http/http-proxy.ts';
import { resolveLayer, type EndpointResolver } from './http/resolve-layer.ts';
import { REQUIRE_ID_HEADER } from './layers/require-identity.ts';
import { createHttpRouteMetrics } from './layers/http-route-metric-cache.ts';
import { DST_OVERRIDE_HEADER, outboundHttpStack, type OutboundTargetSource } from './outbound/sidecar.ts';
import { ProxyError } from './http/proxy-error.ts';
import { PICK_FAILURE, PICK_SUCCESS, type ReadyPick } from './balance/index.ts';
import type { WorkloadCertificate } from './identity-client/index.ts';
import { InboundPolicy } from './inbound/policy.ts';
import { MeshConnector } from './mesh/mesh-connector.ts';
import { readTransportHeader } from './mesh/read-transport-header.ts';
import { SelfAddresses } from './self-addresses.ts';
import { shutdownRoute } from './shutdown-route.ts';
import { TapHub, TapServer, tapEndpointLayer, tapLayer } from './tap/index.ts';
import { peekClientHello } from './tls/peek.ts';
import { terminateMeshTls } from './tls/terminate.ts';
import { detect } from './transport/detect.ts';
import { ProxyListener } from './transport/listener.ts';
import { plainAddress, soOriginalDst, type OriginalDestinationReader } from './transport/original-dst.ts';
import { forwardTcp, type TcpOutcome } from './transport/tcp-forward.ts';

export interface ProxyAppOptions {
  readonly config: ProxyConfig;
  readonly log: Logger;
  readonly registry: Registry;
  readonly originalDestination?: OriginalDestinationReader;
  /** Why the proxy is not ready yet (identity), or undefined when it may serve. */
  readonly notReadyReason?: () => string | undefined;
  /** Called when POST /shutdown is accepted. */
  readonly onShutdownRequest?: () => void;
  /** This proxy's identity (certificate source) and the trust anchors; absent with identity disabled. */
  readonly identity?: { readonly source: LocalIdentitySource; readonly trust: TrustBundle };
  /**
   * Logical outbound targets (discovery's OutboundTargets; tests use FunctionTargets). Absent, or
   * answering undefined: the original destination, or the request's authority, is used.
   */
  readonly outboundTargets?: OutboundTargetSource;
}

/** Where the proxy's own certificate comes from (WorkloadIdentity, or a fixed one in tests). */
export interface LocalIdentitySource {
  readonly identity: string;
  readonly current: WorkloadCertificate | undefined;
  subscribe(listener: (cert: WorkloadCertificate) => void): () => void;
}

export interface ProxyAddresses {
  readonly outbound: readonly SocketAddress[];
  readonly inbound: SocketAddress;
  readonly admin: SocketAddress;
  /** The control listener (GET /tap). */
  readonly control: SocketAddress;
}

const NO_TLS = { tls: 'no_identity', no_tls_reason: 'not_provided_by_remote' } as const;
const TLS_DISABLED = { tls: 'disabled' } as const;

export class ProxyApp {
  readonly #opts: ProxyAppOptions;
  readonly #log: Logger;
  readonly #origDst: OriginalDestinationReader;
  readonly #tcp: TcpMetrics;
  readonly #tlsFailures: Counter<'direction' | 'reason'>;
  readonly #outbound: HttpProxy;
  readonly #inbound: HttpProxy;
  readonly #outboundListeners: ProxyListener[];
  readonly #inboundListener: ProxyListener;
  readonly #admin: AdminServer;
  readonly #control: TapServer;
  readonly #self = new SelfAddresses();
  #listening = false;
  /** The inbound TLS context, replaced on each new certificate; live connections keep theirs. */
  #serverContext: SecureContext | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #mesh: MeshConnector | undefined;
  readonly #policy: InboundPolicy;
  readonly #authz: Counter<'protocol' | 'decision' | 'target_port'>;
  /** inbound_authz_total{protocol="http",decision="allow"} per target port (ports are few: the pod's). */
  readonly #httpAllowed = new Map<number, CounterChild>();
  /** The proxy's own addresses once bound (ports chosen by the OS included). */
  #own: readonly SocketAddress[] = [];
  #draining = false;

  constructor(opts: ProxyAppOptions) {
    this.#opts = opts;
    this.#log = componentLogger(opts.log, 'proxy');
    this.#origDst = opts.originalDestination ?? soOriginalDst;
    const http = createHttpMetrics(opts.registry);
    this.#tlsFailures = new Counter({
      name: 'tls_handshake_failures_total',
      help: 'TLS handshakes that failed, by direction and reason.',
      labelNames: ['direction', 'reason'],
      registers: [opts.registry],
    });
    this.#policy = new InboundPolicy({
      defaultPolicy: opts.config.inboundDefaultPolicy,
      requireIdentityPorts: opts.config.inboundPortsRequireIdentity,
      clusterNetworks: opts.config.clusterNetworks,
    });
    this.#authz = new Counter({
      name: 'inbound_authz_total',
      help: 'Inbound authorization decisions by protocol (http per request, tcp per connection).',
      labelNames: ['protocol', 'decision', 'target_port'],
      registers: [opts.registry],
    });
    const refused = new Counter({
      name: 'http_requests_refused_total',
      help: 'HTTP/1 requests the parser refused (malformed or ambiguous framing, oversized headers), by direction and parser error code.',
      labelNames: ['direction', 'code'],
      registers: [opts.registry],
    });
    const onClientError = (direction: Direction) => (code: string) => {
      refused.inc({ direction, code });
      this.#log.debug({ direction, code }, 'refused a malformed HTTP/1 request');
    };
    const sessionErrors = new Counter({
      name: 'http2_session_errors_total',
      help: 'HTTP/2 client sessions ended by the proxy for abuse (rapid reset, CONTINUATION, SETTINGS or PING floods) or protocol errors, by direction and reason.',
      labelNames: ['direction', 'code'],
      registers: [opts.registry],
    });
    const onSessionError =
      (direction: Direction) =>
      (code: string, detail: { readonly message: string; readonly remote: string | undefined }) => {
        sessionErrors.inc({ direction, code });
        this.#log.info(
          { direction, code, remote: detail.remote, reason: detail.message },
          'closed an abusive or broken HTTP/2 session',
        );
      };
    this.#mesh =
      opts.identity === undefined
        ? undefined
        : new MeshConnector(opts.identity.trust, (reason) => this.#tlsFailures.inc({ direction: 'outbound', reason }));
    this.#tcp = createTcpMetrics(opts.registry);
    const { config } = opts;
    const tapHub = new TapHub({ registry: opts.registry }, { maxSessions: config.tapMaxSessions });
    const tap = tapLayer(tapHub, { localIdentity: opts.identity?.source.identity });
    const outboundForwarder = new Forwarder({
      connectTimeoutMs: config.outboundConnectTimeoutMs,
      h1OverH2: config.outboundHttp1OverHttp2,
      ...(this.#mesh === undefined ? {} : { mesh: this.#mesh }),
    });
    this.#outbound = new HttpProxy({
      service: outboundHttpStack({
        targets: opts.outboundTargets,
        direct: this.#resolver('outbound'),
        loopGuard: (endpoint) => {
          const checked = this.#checkLoop(endpoint);
          return checked instanceof ProxyError ? checked : undefined;
        },
        httpMetrics: http,
        routeMetrics: createRouteMetrics(opts.registry),
        httpRouteMetrics: createHttpRouteMetrics(opts.registry),
        forward: outboundForwarder.service,
        ingressMode: config.ingressMode,
        tap,
      }),
      metrics: http,
      dropRequestHeaders: [DST_OVERRIDE_HEADER, REQUIRE_ID_HEADER],
      onClose: () => outboundForwarder.close(),
      onClientError: onClientError('outbound'),
      headerReadTimeoutMs: config.http1HeaderReadTimeoutMs,
      maxHeaders: config.http1MaxHeaders,
      bodyIdleTimeoutMs: config.http1BodyIdleTimeoutMs,
      onSessionError: onSessionError('outbound'),
    });
    const inboundForwarder = new Forwarder({ connectTimeoutMs: config.inboundConnectTimeoutMs, acceptOrigProto: true });
    const inboundResolver = this.#resolver('inbound');
    this.#inbound = new HttpProxy({
      // tap → resolve (the local app, after the inbound policy) → tap endpoint → endpoint metrics → forwarder
      service: tap(
        resolveLayer((req) => {
          // Synchronous: no promise and no microtask turn per inbound request.
          const endpoint = inboundResolver(req);
          if (endpoint instanceof Promise) {
            return endpoint.then((e) =>
              e instanceof ProxyError ? e : (this.#authorize('http', req.conn, e.port) ?? e),
            );
          }
          if (endpoint instanceof ProxyError) return endpoint;
          return this.#authorize('http', req.conn, endpoint.port) ?? endpoint;
        })(tapEndpointLayer()(endpointMetricsLayer(http)(inboundForwarder.service))),
      ),
      metrics: http,
      dropRequestHeaders: ['l5d-client-id'],
      requestHeaders: (conn) => (conn.tls.client_id ? { 'l5d-client-id': conn.tls.client_id } : undefined),
      onClose: () => inboundForwarder.close(),
      onClientError: onClientError('inbound'),
      headerReadTimeoutMs: config.http1HeaderReadTimeoutMs,
      maxHeaders: config.http1MaxHeaders,
      bodyIdleTimeoutMs: config.http1BodyIdleTimeoutMs,
      onSessionError: onSessionError('inbound'),
    });
    this.#outboundListeners = config.outboundListenAddrs.map(
      (_, i) => new ProxyListener(`outbound-${i}`, (s) => void this.#onConnection(s, 'outbound')),
    );
    this.#inboundListener = new ProxyListener('inbound', (s) => void this.#onConnection(s, 'inbound'));
    this.#admin = new AdminServer({
      address: config.adminListenAddr,
      registry: opts.registry,
      readiness: () => this.readiness(),
      log: componentLogger(opts.log, 'admin'),
      routes: { '/shutdown': shutdownRoute(config.shutdownEndpointEnabled, () => opts.onShutdownRequest?.()) },
    });
    this.#control = new TapServer({
      address: config.controlListenAddr,
      hub: tapHub,
      maxRate: config.tapMaxRate,
      authorizedIdentities: config.tapAuthorizedIdentities,
      secureContext: () => this.#serverContext,
      log: componentLogger(opts.log, 'tap'),
    });
  }

  async start(): Promise<ProxyAddresses> {
    const { config } = this.#opts;
    const identity = this.#opts.identity;
    if (identity !== undefined) {
      this.#unsubscribe = identity.source.subscribe((cert) => {
        this.#mesh?.update(cert);
        this.#serverContext = nodeTls.createSecureContext({
          cert: cert.chainPem,
          key: cert.keyPem,
          ca: identity.trust.pem,
          minVersion: 'TLSv1.3',
          maxVersion: 'TLSv1.3',
        });
      });
    }
    const outbound = await Promise.all(
      this.#outboundListeners.map((l, i) =>
        l.listen(config.outboundListenAddrs[i] ?? config.outboundListenAddrs[0]!, ENV_OUTBOUND_LISTEN_ADDRS),
      ),
    );
    const inbound = await this.#inboundListener.listen(config.inboundListenAddr, ENV_INBOUND_LISTEN_ADDR);
    const admin = await this.#admin.start();
    const control = await this.#control.start(ENV_CONTROL_LISTEN_ADDR);
    this.#log.info({ control: `${control.host}:${control.port}` }, 'control listener (GET /tap) started');
    this.#own = [...outbound, inbound, admin, control];
    this.#listening = true;
    return { outbound, inbound, admin, control };
  }

  readiness(): Readiness {
    if (this.#draining) return { ready: false, reason: 'shutting down' };
    if (!this.#listening) return { ready: false, reason: 'listeners not bound yet' };
    const reason = this.#opts.notReadyReason?.();
    return reason === undefined ? { ready: true } : { ready: false, reason };
  }

  async shutdown(graceMs: number): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    const listeners = [...this.#outboundListeners, this.#inboundListener];
    this.#log.info({ graceMs, connections: listeners.reduce((n, l) => n + l.connections, 0) }, 'draining');
    const drained = Promise.all(listeners.map((l) => l.close()));
    const control = this.#control.close();
    // Connections that finish a request while draining become idle; keep closing them.
    const drain = (): void => {
      this.#outbound.drain();
      this.#inbound.drain();
    };
    drain();
    const sweeper = setInterval(drain, 100);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    clearInterval(sweeper);
    for (const l of listeners) l.destroyAll();
    this.#outbound.close();
    this.#inbound.close();
    this.#unsubscribe?.();
    await control;
    await this.#admin.close();
  }

  #resolver(direction: Direction): EndpointResolver {
    const ingress = this.#opts.config.ingressMode;
    return ({ conn, authority, headers }) => {
      const override = headers['l5d-dst-override'];
      const dstOverride =
        ingress && direction === 'outbound' ? (Array.isArray(override) ? override[0] : override) : undefined;
      if (dstOverride !== undefined) {
        const override = parseAuthority(dstOverride);
        if (override === undefined) {
          return new ProxyError('no-target', `l5d-dst-override ${JSON.stringify(dstOverride)} is not a host and port`);
        }
        return this.#checkLoop(override);
      }
      if (conn.origDst !== undefined) return this.#checkLoop(conn.origDst);
      const parsed = parseAuthority(authority);
      if (parsed === undefined) {
        return new ProxyError(
          'no-target',
          `the request's authority ${JSON.stringify(authority ?? '')} is not a host and port`,
        );
      }
      // Inbound traffic may only go to this pod's own address; the authority picks the port.
      const endpoint: Endpoint = direction === 'inbound' ? { host: conn.localAddress, port: parsed.port } : parsed;
      return this.#checkLoop(endpoint);
    };
  }

  /** Applies the inbound policy; a refusal is a ProxyError('forbidden') naming the reason. */
  #authorize(protocol: 'http' | 'tcp', conn: ConnectionContext, port: number): ProxyError | undefined {
    const decision = this.#policy.check({ port, clientIp: conn.clientIp, tls: conn.tls });
    if (decision.allowed && protocol === 'http') {
      // Every allowed inbound request: its series is looked up once per port, not hashed per request.
      let allowed = this.#httpAllowed.get(port);
      if (allowed === undefined) {
        allowed = this.#authz.labels({ protocol, decision: 'allow', target_port: String(port) });
        this.#httpAllowed.set(port, allowed);
      }
      allowed.inc();
      return undefined;
    }
    this.#authz.inc({ protocol, decision: decision.allowed ? 'allow' : 'deny', target_port: String(port) });
    if (decision.allowed) return undefined;
    this.#log.info(
      { protocol, port, client: conn.clientIp, clientId: conn.tls.client_id, reason: decision.reason },
      'inbound request refused by policy',
    );
    return new ProxyError('forbidden', decision.reason);
  }

  #checkLoop(endpoint: Endpoint): Endpoint | ProxyError {
    const { config } = this.#opts;
    const own =
      this.#own.length > 0
        ? this.#own
        : [...config.outboundListenAddrs, config.inboundListenAddr, config.adminListenAddr, config.controlListenAddr];
    if (this.#self.isListener(endpoint, own)) {
      return new ProxyError(
        'loop',
        `refusing to proxy to ${endpoint.host}:${endpoint.port}: that is this proxy's own listener`,
      );
    }
    return endpoint;
  }

  async #onConnection(socket: Socket, direction: Direction): Promise<void> {
    const { config } = this.#opts;
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const localAddress = plainAddress(socket.localAddress ?? '');
    const localPort = socket.localPort ?? 0;
    const raw = this.#origDst.read(socket);
    const redirected = raw !== undefined && !(plainAddress(raw.host) === localAddress && raw.port === localPort);
    const origDst = redirected ? { host: plainAddress(raw.host), port: raw.port } : undefined;
    const base = { direction, origDst, localAddress, localPort, clientIp: plainAddress(socket.remoteAddress ?? '') };
    const plaintextTls = config.identity === undefined ? TLS_DISABLED : NO_TLS;
    // The connection is counted once its TLS labels are known (after the ClientHello on inbound),
    // so an mTLS connection is tls="true" with its client_id, as its requests are.
    const count = (tls: ConnectionContext['tls']): void => {
      const labels: Record<string, string> = {
        direction,
        peer: 'src',
        ...tls,
        ...(origDst === undefined ? {} : targetLabels(origDst)),
      };
      this.#tcp.openTotal.inc(labels);
      this.#tcp.openConnections.inc(labels);
      const closed = (hadError: boolean): void => {
        this.#tcp.openConnections.dec(labels);
        this.#tcp.closeTotal.inc({ ...labels, classification: hadError ? 'failure' : 'success' });
        this.#tcp.readBytesTotal.inc(labels, socket.bytesRead);
        this.#tcp.writeBytesTotal.inc(labels, socket.bytesWritten);
      };
      // It may already have closed while its ClientHello or handshake was awaited.
      if (socket.closed) closed(socket.errored !== null);
      else socket.once('close', closed);
    };

    // Inbound with identity: a ClientHello for our identity is terminated here; other TLS passes through.
    if (direction === 'inbound' && this.#opts.identity !== undefined) {
      const hello = await peekClientHello(socket, config.inboundDetectTimeoutMs);
      switch (hello.kind) {
        case 'tls': {
          if (hello.sni !== this.#opts.identity.source.identity) {
            const ctx: ConnectionContext = {
              ...base,
              tls: { tls: 'opaque', ...(hello.sni === undefined ? {} : { sni: hello.sni }) },
            };
            count(ctx.tls);
            attachContext(socket, ctx);
            void this.#forwardOpaque(socket, ctx);
            return;
          }
          const terminated = await this.#terminateTls(socket);
          if (terminated === undefined) {
            count(plaintextTls); // the handshake failed or was refused: counted, never served
            return;
          }
          count(terminated.labels);
          if (terminated.socket.alpnProtocol === TRANSPORT_HEADER_ALPN) {
            await this.#serveTransportHeader(terminated.socket, base, terminated.labels);
            return;
          }
          const ctx: ConnectionContext = { ...base, tls: terminated.labels };
          attachContext(terminated.socket, ctx);
          await this.#serve(terminated.socket, ctx);
          return;
        }
        case 'ended':
          count(plaintextTls);
          void this.#forwardOpaque(socket, { ...base, tls: plaintextTls }, hello.bytes);
          return;
        case 'closed':
          count(plaintextTls);
          socket.destroy();
          return;
        case 'not-tls':
        case 'timeout':
          break;
      }
    }
    count(plaintextTls);
    const ctx: ConnectionContext = { ...base, tls: plaintextTls };
    attachContext(socket, ctx);
    await this.#serve(socket, ctx);
  }

  /** Terminates mTLS with our current certificate; the client's certificate is optional here. */
  async #terminateTls(socket: Socket): Promise<{ socket: TLSSocket; labels: ConnectionContext['tls'] } | undefined> {
    const secureContext = this.#serverContext;
    if (secureContext === undefined) {
      this.#log.info('closing a TLS connection: no certificate yet');
      socket.destroy();
      return undefined;
    }
    const result = await terminateMeshTls(socket, secureContext, 10_000);
    if (result.kind === 'failed') {
      this.#tlsFailures.inc({ direction: 'inbound', reason: 'handshake' });
      return undefined;
    }
    const { client, socket: tlsSocket } = result;
    switch (client.kind) {
      case 'authenticated':
        return { socket: tlsSocket, labels: { tls: 'true', client_id: client.identity } };
      case 'anonymous':
        return { socket: tlsSocket, labels: { tls: 'true' } };
      case 'rejected':
        this.#tlsFailures.inc({ direction: 'inbound', reason: 'client_certificate' });
        this.#log.info({ reason: client.reason }, 'refusing a TLS client whose certificate is not trusted');
        tlsSocket.destroy();
        return undefined;
    }
  }

  /**
   * A peer proxy connected to our inbound port directly: its transport header names the port the
   * app meant (on this pod's own address) and the session protocol, so no detection is needed.
   */
  async #serveTransportHeader(
    socket: TLSSocket,
    base: Omit<ConnectionContext, 'tls'>,
    tls: ConnectionContext['tls'],
  ): Promise<void> {
    const read = await readTransportHeader(socket, this.#opts.config.inboundDetectTimeoutMs);
    if (read.kind === 'error') {
      this.#log.info({ reason: read.reason }, 'closing a connection with a bad transport header');
      socket.destroy();
      return;
    }
    const ctx: ConnectionContext = { ...base, origDst: { host: base.localAddress, port: read.header.port }, tls };
    attachContext(socket, ctx);
    switch (read.header.sessionProtocol) {
      case 'http1':
        this.#inbound.accept(socket, 'http1');
        return;
      case 'http2':
        // The proxy's own HTTP/2 server reads the TLS socket as it is, after the header.
        this.#inbound.accept(socket, 'h2');
        return;
      case undefined:
        void this.#forwardOpaque(socket, ctx);
        return;
    }
  }

  async #serve(socket: Socket, ctx: ConnectionContext): Promise<void> {
    const { config } = this.#opts;
    const direction = ctx.direction;
    const opaquePort =
      direction === 'inbound' &&
      ctx.origDst !== undefined &&
      config.inboundPortsDisableProtocolDetection.includes(ctx.origDst.port);
    if (opaquePort) {
      void this.#forwardOpaque(socket, ctx);
      return;
    }
    const timeoutMs = direction === 'inbound' ? config.inboundDetectTimeoutMs : config.outboundDetectTimeoutMs;
    const detected = await detect(socket, { timeoutMs });
    switch (detected.kind) {
      case 'h2':
      case 'http1':
        (direction === 'inbound' ? this.#inbound : this.#outbound).accept(socket, detected.kind);
        return;
      case 'opaque':
        if (detected.reason === 'timeout')
          this.#log.info({ direction, target: ctx.origDst }, 'continuing after detect timeout as opaque TCP');
        void this.#forwardOpaque(socket, ctx);
        return;
      case 'opaque-ended':
        void this.#forwardOpaque(socket, ctx, detected.bytes);
        return;
      case 'closed':
        socket.destroy();
        return;
    }
  }

  async #forwardOpaque(socket: Socket, ctx: ConnectionContext, initial?: Buffer): Promise<void> {
    const picked = ctx.direction === 'outbound' ? await this.#pickOpaque(ctx) : undefined;
    if (picked instanceof ProxyError) {
      this.#log.info({ direction: ctx.direction, reason: picked.message }, 'refusing opaque connection');
      socket.destroy();
      return;
    }
    const dst = picked?.endpoint ?? ctx.origDst;
    let target = dst === undefined ? undefined : this.#checkLoop(dst);
    if (ctx.direction === 'inbound' && target !== undefined && !(target instanceof ProxyError)) {
      target = this.#authorize('tcp', ctx, target.port) ?? target;
    }
    if (target === undefined || target instanceof ProxyError) {
      picked?.done(PICK_FAILURE);
      this.#log.info(
        { direction: ctx.direction, reason: target?.message ?? 'not redirected: no original destination' },
        'refusing opaque connection',
      );
      socket.destroy();
      return;
    }
    const connectTimeoutMs =
      ctx.direction === 'inbound'
        ? this.#opts.config.inboundConnectTimeoutMs
        : this.#opts.config.outboundConnectTimeoutMs;
    const mesh = target.mesh;
    const connector = this.#mesh;
    if (mesh !== undefined && connector === undefined) {
      picked?.done(PICK_FAILURE);
      this.#log.info({ target }, 'refusing opaque connection to a meshed endpoint: no identity for mTLS');
      socket.destroy();
      return;
    }
    const open =
      mesh === undefined || connector === undefined
        ? undefined
        : () => ({
            socket: connector.connect({ host: target.host, port: target.port, mesh }, undefined) as Socket,
            readyEvent: 'secureConnect' as const,
          });
    void forwardTcp(socket, target, {
      connectTimeoutMs,
      ...(initial === undefined ? {} : { initial, clientEnded: true }),
      ...(open === undefined ? {} : { open }),
    }).then((outcome: TcpOutcome) => {
      picked?.done(outcome.kind === 'error' ? PICK_FAILURE : PICK_SUCCESS);
      if (outcome.kind === 'error')
        this.#log.info(
          { direction: ctx.direction, target, stage: outcome.stage, errno: outcome.errno },
          'opaque connection failed',
        );
    });
  }

  /** Opaque TCP is balanced per connection over the logical target's endpoints (when there is one). */
  async #pickOpaque(ctx: ConnectionContext): Promise<ReadyPick<Endpoint> | ProxyError | undefined> {
    const resolved = this.#opts.outboundTargets?.resolve({ authority: undefined, origDst: ctx.origDst });
    const logical = resolved instanceof Promise ? await resolved : resolved;
    if (logical === undefined) return undefined;
    const picked = logical.balancer.pick();
    const acquired = picked.kind === 'ready' ? picked : await logical.balancer.acquire();
    switch (acquired.kind) {
      case 'ready':
        return acquired;
      case 'fail-fast':
        return new ProxyError('fail-fast', `${logical.name} has no ready endpoint (fail-fast)`);
      case 'shed':
        return new ProxyError('load-shed', `${logical.name} has too many connections waiting for an endpoint`);
      case 'closed':
        return new ProxyError('no-endpoints', `${logical.name} is no longer resolved`);
    }
  }
}

function targetLabels(t: { host: string; port: number }): Record<string, string> {
  return {
    target_addr: `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`,
    target_ip: t.host,
    target_port: String(t.port),
  };
}
