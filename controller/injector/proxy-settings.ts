// The effective settings of one pod's proxy: the chart values with the pod's (and its
// namespace's) config annotations applied, and the pod's own ports. Everything the containers
// are built from is here, so containers.ts holds no decisions of its own.

import type { LogFormat, LogLevel } from '../../src/log/index.ts';
import type { AnnotationOverrides } from './annotations.ts';
import type { InjectorConfig, ProxyPorts, ResourceRange } from './injector-config.ts';
import type { ContainerPortInfo } from './pod-shape.ts';
import { expandPorts, formatPorts, resolveOpaquePorts } from './ports.ts';
import type { EnvVar, InboundPolicy, IptablesMode, PullPolicy } from './value-rules.ts';

export interface ProxySettings {
  readonly image: string;
  readonly version: string;
  readonly pullPolicy: PullPolicy;
  readonly uid: number;
  /** -1: not set. */
  readonly gid: number;
  readonly ports: ProxyPorts;
  /** The pod's TCP container ports (sorted). */
  readonly inboundPorts: readonly number[];
  /** Ports the proxy treats as opaque (no protocol detection), sorted. */
  readonly opaquePorts: readonly number[];
  readonly requireIdentityInboundPorts: string;
  readonly defaultInboundPolicy: InboundPolicy;
  readonly inboundConnectTimeout: string;
  readonly outboundConnectTimeout: string;
  readonly nativeSidecar: boolean;
  readonly await: boolean;
  readonly waitBeforeExitSeconds: number;
  readonly shutdownEndpoint: boolean;
  readonly shutdownGracePeriod: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly nodeOptions: string;
  readonly ingress: boolean;
  readonly resources: Readonly<Record<'cpu' | 'memory' | 'ephemeral-storage', ResourceRange>>;
  readonly additionalEnv: readonly EnvVar[];
  readonly init: {
    readonly iptablesMode: IptablesMode;
    readonly inboundPortsToIgnore: string;
    readonly outboundPortsToIgnore: string;
    readonly subnetsToIgnore: string;
    readonly runAsUser: number;
    readonly runAsGroup: number;
    readonly resources: Readonly<Record<'cpu' | 'memory', ResourceRange>>;
  };
  readonly warnings: readonly string[];
}

export function resolveProxySettings(input: {
  readonly config: InjectorConfig;
  readonly overrides: AnnotationOverrides;
  readonly containerPorts: readonly ContainerPortInfo[];
  /** The opaque-ports annotation in force (the pod's, inherited, or computed); "" for none. */
  readonly opaquePortsAnnotation: string;
  readonly ingress: boolean;
  readonly controlPlanePod: boolean;
}): ProxySettings {
  const { config, overrides: o } = input;
  const p = config.proxy;
  const ports: ProxyPorts = {
    admin: o.adminPort ?? p.ports.admin,
    control: o.controlPort ?? p.ports.control,
    inbound: o.inboundPort ?? p.ports.inbound,
    outbound: o.outboundPort ?? p.ports.outbound,
  };
  const opaque = resolveOpaquePorts(input.opaquePortsAnnotation, input.containerPorts);
  const inboundIgnore = [
    ports.control,
    ports.admin,
    ...expandPorts(o.skipInboundPorts ?? config.proxyInit.ignoreInboundPorts),
  ];
  const outboundIgnore = [
    ...expandPorts(o.skipOutboundPorts ?? config.proxyInit.ignoreOutboundPorts),
    ...(input.controlPlanePod ? expandPorts(config.proxyInit.kubeAPIServerPorts) : []),
  ];
  const range = (request: string | undefined, limit: string | undefined, base: ResourceRange): ResourceRange => ({
    request: request ?? base.request,
    limit: limit ?? base.limit,
  });
  return {
    image: o.image ?? config.image.name,
    version: o.version ?? config.image.version,
    pullPolicy: o.pullPolicy ?? config.image.pullPolicy,
    uid: o.uid ?? p.uid,
    gid: o.gid ?? p.gid,
    ports,
    inboundPorts: [
      ...new Set(input.containerPorts.filter((c) => c.protocol.toUpperCase() === 'TCP').map((c) => c.containerPort)),
    ].sort((a, b) => a - b),
    opaquePorts: opaque.ports,
    requireIdentityInboundPorts: o.requireIdentityInboundPorts ?? p.requireIdentityOnInboundPorts,
    defaultInboundPolicy: o.defaultInboundPolicy ?? p.defaultInboundPolicy,
    inboundConnectTimeout: o.inboundConnectTimeout ?? p.inboundConnectTimeout,
    outboundConnectTimeout: o.outboundConnectTimeout ?? p.outboundConnectTimeout,
    nativeSidecar: o.nativeSidecar ?? p.nativeSidecar,
    await: o.await ?? p.await,
    waitBeforeExitSeconds: o.waitBeforeExitSeconds ?? p.waitBeforeExitSeconds,
    shutdownEndpoint: o.adminShutdown ?? p.enableShutdownEndpoint,
    shutdownGracePeriod: o.shutdownGracePeriod ?? p.shutdownGracePeriod,
    logLevel: o.logLevel ?? p.logLevel,
    logFormat: o.logFormat ?? p.logFormat,
    nodeOptions: o.nodeOptions ?? p.nodeOptions,
    ingress: input.ingress,
    resources: {
      cpu: range(o.cpuRequest, o.cpuLimit, p.resources.cpu),
      memory: range(o.memoryRequest, o.memoryLimit, p.resources.memory),
      'ephemeral-storage': range(o.ephemeralStorageRequest, o.ephemeralStorageLimit, p.resources['ephemeral-storage']),
    },
    additionalEnv: [...p.additionalEnv, ...(o.additionalEnv ?? [])],
    init: {
      iptablesMode: config.proxyInit.iptablesMode,
      inboundPortsToIgnore: formatPorts(inboundIgnore),
      outboundPortsToIgnore: formatPorts(outboundIgnore),
      subnetsToIgnore: o.skipSubnets ?? config.proxyInit.skipSubnets,
      runAsUser: config.proxyInit.runAsUser,
      runAsGroup: config.proxyInit.runAsGroup,
      resources: config.proxyInit.resources,
    },
    warnings: opaque.warnings,
  };
}
