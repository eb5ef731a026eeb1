// `nodemesh proxy`: the sidecar process. Reads its settings, obtains its identity (unless
// disabled), starts the listeners and the admin server, and drains gracefully on SIGTERM or
// POST /shutdown within NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD.

import { EXIT_OK, type CommandContext } from '../src/cli/index.ts';
import { componentLogger, createLogger } from '../src/log/index.ts';
import { createRegistry } from '../src/metrics/index.ts';
import { TrustBundle } from '../src/tls/index.ts';
import { VERSION } from '../src/version.ts';
import { ProxyApp } from './app.ts';
import { applyBufferPoolSize } from './buffer-pool.ts';
import { parseProxyConfig } from './config.ts';
import { DestinationResolver, GrpcDiscoveryStreams } from './discovery/index.ts';
import { GrpcCertifyClient, WorkloadIdentity, tokenFileReader } from './identity-client/index.ts';
import { contextNamespace } from './outbound/gateway-routing.ts';
import { OutboundTargets } from './outbound/targets.ts';
import { applyV8MemorySettings } from './v8-memory.ts';

export async function runProxy(ctx: CommandContext): Promise<number> {
  const config = parseProxyConfig(ctx.env);
  const log = createLogger({ config: config.log, name: 'proxy' });
  const v8Flags = applyV8MemorySettings(config);
  const bufferPoolBytes = applyBufferPoolSize(config.v8MemoryMode);
  const registry = createRegistry({ component: 'proxy', version: VERSION });

  let identity: WorkloadIdentity | undefined;
  let certifyClient: GrpcCertifyClient | undefined;
  let trust: TrustBundle | undefined;
  if (config.identity !== undefined) {
    trust = TrustBundle.fromPem(config.identity.trustAnchorsPem, 'NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS');
    certifyClient = new GrpcCertifyClient({
      address: config.identity.svcAddr,
      serverName: config.identity.svcName,
      trust,
    });
    identity = new WorkloadIdentity({
      identity: config.identity.localName,
      trust,
      client: certifyClient,
      readToken: tokenFileReader(config.identity.tokenFile),
      log: componentLogger(log, 'identity'),
      registry,
      minRefreshMs: config.identity.minRefreshMs,
      maxRefreshMs: config.identity.maxRefreshMs,
    });
  }

  // Discovery: when a destination service is configured, outbound targets are resolved through it.
  let discovery:
    { streams: GrpcDiscoveryStreams; resolver: DestinationResolver; outbound: OutboundTargets } | undefined;
  if (config.destination.svcAddr !== undefined) {
    // TLS to the destination, verified against its identity, when its name is set (config.ts
    // allows that only with identity, so the trust anchors are there).
    const serverName = config.destination.svcName;
    const tls = serverName === '' || trust === undefined ? undefined : { serverName, trust };
    if (tls === undefined && trust !== undefined) {
      log.warn(
        { destination: config.destination.svcAddr, set: 'NODEMESH_PROXY_DESTINATION_SVC_NAME' },
        'the destination service is reached over plaintext; set its identity name to verify it over TLS',
      );
    }
    const streams = new GrpcDiscoveryStreams({
      addresses: [config.destination.svcAddr],
      ...(tls === undefined ? {} : { tls }),
    });
    const resolver = new DestinationResolver(
      { streams, log: componentLogger(log, 'discovery'), registry },
      { contextToken: config.destination.contextToken },
    );
    const outbound = new OutboundTargets(
      { discovery: resolver, log: componentLogger(log, 'outbound') },
      {
        profileSuffixes: config.destination.profileSuffixes,
        strategy: config.outboundBalancer,
        ...clientNamespaceOption(contextNamespace(config.destination.contextToken)),
        balancer: {
          failFastTimeoutMs: config.outboundFailFastTimeoutMs,
          queueCapacity: config.outboundQueueCapacity,
          ...(config.outboundFailureAccrual === undefined ? {} : { accrual: config.outboundFailureAccrual }),
        },
      },
    );
    discovery = { streams, resolver, outbound };
  }

  const stop = new AbortController();
  ctx.signal.addEventListener('abort', () => stop.abort(), { once: true });
  const app = new ProxyApp({
    config,
    log,
    registry,
    notReadyReason: () => identity?.notReadyReason,
    onShutdownRequest: () => stop.abort(),
    ...(identity === undefined || trust === undefined ? {} : { identity: { source: identity, trust } }),
    ...(discovery === undefined ? {} : { outboundTargets: discovery.outbound }),
  });
  const addresses = await app.start();
  await identity?.start();
  log.info(
    {
      outbound: addresses.outbound.map((a) => `${a.host}:${a.port}`),
      inbound: `${addresses.inbound.host}:${addresses.inbound.port}`,
      admin: `${addresses.admin.host}:${addresses.admin.port}`,
      identity: config.identity?.localName ?? 'disabled',
      v8Flags,
      bufferPoolBytes,
    },
    'proxy started',
  );
  const keepAlive = setInterval(() => undefined, 1 << 30);
  if (!stop.signal.aborted)
    await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
  clearInterval(keepAlive);
  log.info({ graceMs: config.shutdownGracePeriodMs }, 'proxy shutting down');
  await app.shutdown(config.shutdownGracePeriodMs);
  identity?.close();
  certifyClient?.close();
  discovery?.outbound.close();
  discovery?.resolver.close();
  discovery?.streams.close();
  log.info('proxy stopped');
  return EXIT_OK;
}

/** Gateway API routes are chosen for this proxy's namespace, when the context token names it. */
function clientNamespaceOption(namespace: string | undefined): { readonly clientNamespace?: string } {
  return namespace === undefined ? {} : { clientNamespace: namespace };
}
