// `nodemesh destination`: the destination service process. Reads its settings once, builds the
// resource source (a watched folder, or informers loaded lazily), starts the Get/GetProfile gRPC
// server and the admin server, and runs until told to stop; everything is closed in `finally`.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AdminServer, type Readiness } from '../../src/admin/index.ts';
import { EXIT_OK, untilAborted, type CommandContext } from '../../src/cli/index.ts';
import { FileResourceSource, type ResourceSource } from '../../src/k8s/index.ts';
import { componentLogger, createLogger } from '../../src/log/index.ts';
import { createRegistry } from '../../src/metrics/index.ts';
import { VERSION } from '../../src/version.ts';
import { parseDestinationConfig, type DestinationConfig } from './config.ts';
import { applyHeapGrowing } from './heap-growing.ts';
import { applyMemorySaving } from './memory-saving.ts';
import { DestinationController } from './service.ts';

export async function runDestination(ctx: CommandContext): Promise<number> {
  const config = parseDestinationConfig(ctx.env);
  const log = createLogger({ config: config.log, name: 'destination' });
  // Set before anything large is loaded or listed: V8 sizes the heap from its first growth steps.
  const sourceRef: { current?: ResourceSource } = {};
  const heapFlags = applyHeapGrowing(config.heapGrowingPercent);
  const memorySaving = applyMemorySaving(config.memorySaving, () => sourceRef.current?.synced === true, {
    onSynced: () => log.info({ memorySaving: config.memorySaving }, 'caches synced; V8 memory-saving mode off'),
  });

  const registry = createRegistry({ component: 'destination', version: VERSION });
  const tls =
    config.tls === undefined
      ? undefined
      : { certChain: await readFile(config.tls.certFile), privateKey: await readFile(config.tls.keyFile) };

  const source = await createSource(config, ctx, log, registry);
  sourceRef.current = source;
  const controller = new DestinationController(
    { source, log, registry },
    { ...config, ...(tls === undefined ? { tls: undefined } : { tls }) },
  );
  const readiness = (): Readiness =>
    source.synced ? { ready: true } : { ready: false, reason: 'the resource caches have not synced yet' };
  const admin = new AdminServer({
    address: config.adminListenAddr,
    registry,
    readiness,
    log: componentLogger(log, 'admin'),
  });

  // Route status (Kubernetes mode): written only by the replica holding the Lease (ADR 0012).
  let routeStatus: { stop(): Promise<void> } | undefined;
  if (config.source === 'kubernetes') {
    const { startRouteStatus } = await import('./route-status-leader.ts');
    const { loadKubeConfig } = await import('../../src/k8s/kube-config.ts');
    routeStatus = startRouteStatus({
      source,
      kubeConfig: loadKubeConfig(ctx.env, 'nodemesh destination'),
      namespace: config.controlNamespace,
      identity: config.podName,
      log,
      registry,
    });
  }

  try {
    const adminAddr = await admin.start();
    const port = await controller.start();
    log.info(
      {
        grpc: `${config.listenAddr.host}:${port}`,
        admin: `${adminAddr.host}:${adminAddr.port}`,
        source: config.source,
        tls: tls !== undefined,
        v8Flags: [...heapFlags, ...memorySaving.flags],
      },
      'destination service started',
    );
    await untilAborted(ctx.signal);
    log.info('destination service stopping');
  } finally {
    memorySaving.stop();
    await routeStatus?.stop();
    await controller.close();
    await admin.close();
    await source.close();
  }
  return EXIT_OK;
}

async function createSource(
  config: DestinationConfig,
  ctx: CommandContext,
  log: ReturnType<typeof createLogger>,
  registry: ReturnType<typeof createRegistry>,
): Promise<ResourceSource> {
  const sourceLog = componentLogger(log, 'resource-source');
  if (config.source === 'files') {
    return new FileResourceSource({ log: sourceLog }, { folder: path.resolve(ctx.cwd, config.resourcesDir ?? '.') });
  }
  // Loaded only here: @kubernetes/client-node costs ~55 MB and local mode never needs it.
  const { createClusterResourceSource } = await import('./source-kubernetes.ts');
  return createClusterResourceSource({ env: ctx.env, log: sourceLog, registry });
}
