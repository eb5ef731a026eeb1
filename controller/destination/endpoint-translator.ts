// The endpoint set of one (Service, port), computed from the caches: ready EndpointSlice addresses
// × the target port, each translated into a WeightedAddr the way Linkerd's endpoint translator
// fills it (reference §1.3): weight 10000, per-pod metric labels, mTLS identity and an h2 (or
// opaque) protocol hint for pods meshed by this control plane.
//
// Contract: pure and synchronous; reads the caches only. The target port comes from the slice
// port whose name equals the Service port's name (the EndpointSlice controller names them so);
// a port the Service does not declare is used as the target port as is. Endpoints with
// `conditions.ready: false` and FQDN slices are left out. The result is keyed by `ip:port`.
// Given the previous set of the same target, an endpoint whose inputs are the very same (the same
// cached Pod object, zone and Service opacity) keeps its previous TranslatedEndpoint object, so a
// change costs work in proportion to what changed, and `===` tells callers it is unchanged. The set
// also names every pod its endpoints refer to (found in the cache or not), so a pod event can be
// routed to the sets it affects.

import { ipAddressFromString, type WeightedAddr } from '../../src/api/index.ts';
import type { EndpointSliceObject, PodObject, ResourceSource, ServiceObject } from '../../src/k8s/index.ts';
import { identityName } from '../../src/tls/index.ts';
import { CONTROL_PLANE_NS_LABEL, podMetricLabels } from './endpoint-labels.ts';
import { SKIP_INBOUND_PORTS_ANNOTATION, annotatedPorts, isOpaquePort } from './opaque-ports.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const ENDPOINT_WEIGHT = 10_000;
/** The inbound port of a meshed pod's proxy, for opaque transport. */
export const PROXY_INBOUND_PORT = 4143;

export interface TranslatorOptions {
  readonly clusterDomain: string;
  readonly controlNamespace: string;
  readonly trustDomain: string;
  readonly defaultOpaquePorts: readonly number[];
}

/** One endpoint and what it was translated from. Never mutated; reused while its inputs last. */
export interface TranslatedEndpoint {
  readonly addr: WeightedAddr;
  readonly pod: PodObject | undefined;
  readonly zone: string | undefined;
  readonly serviceOpaque: boolean;
}

/** A Service's endpoints for one port, or `missing` when there is no such Service. */
export type EndpointSet =
  | { readonly state: 'missing' }
  | {
      readonly state: 'exists';
      /** `ip:port` → endpoint. */
      readonly endpoints: ReadonlyMap<string, TranslatedEndpoint>;
      /** `<namespace>/<name>` of every pod the ready endpoints refer to. */
      readonly pods: ReadonlySet<string>;
      readonly metricLabels: Readonly<Record<string, string>>;
      /** The Service's `balancer.linkerd.io/*` annotations (the clients' balancer settings). */
      readonly balancerAnnotations: Readonly<Record<string, string>>;
    };

/** The Service whose ClusterIP (any family) is `ip`, if any. */
export function serviceByClusterIp(source: ResourceSource, ip: string): ServiceObject | undefined {
  return source
    .kind('Service')
    .list()
    .find((svc) => svc.spec?.clusterIP === ip || (svc.spec?.clusterIPs ?? []).includes(ip));
}

/**
 * The ready endpoints of Service `namespace/name` on service port `port`. `previous`, the last set
 * of the same target, lets unchanged endpoints keep their translation.
 */
export function endpointSet(
  source: ResourceSource,
  target: { readonly namespace: string; readonly name: string; readonly port: number },
  options: TranslatorOptions,
  previous?: EndpointSet,
): EndpointSet {
  const service = source.kind('Service').get(target.namespace, target.name);
  if (service === undefined || service.spec?.type === 'ExternalName') return { state: 'missing' };
  const servicePort = (service.spec?.ports ?? []).find((p) => p.port === target.port);
  const serviceOpaque = isOpaquePort(service, target.port, options.defaultOpaquePorts);
  const before = previous?.state === 'exists' ? previous.endpoints : undefined;
  const endpoints = new Map<string, TranslatedEndpoint>();
  const pods = new Set<string>();
  const slices = source
    .kind('EndpointSlice')
    .list(target.namespace)
    .filter((slice) => slice.metadata.labels?.[SERVICE_NAME_LABEL] === target.name);
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    const port = targetPort(slice, servicePort === undefined ? undefined : (servicePort.name ?? ''), target.port);
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      const ref = endpoint.targetRef;
      let pod: PodObject | undefined;
      if (ref?.kind === 'Pod' && ref.name !== undefined) {
        const podNamespace = ref.namespace ?? target.namespace;
        pods.add(`${podNamespace}/${ref.name}`);
        pod = source.kind('Pod').get(podNamespace, ref.name);
      }
      const zone = endpoint.zone ?? undefined;
      for (const ip of endpoint.addresses) {
        const key = `${ip}:${port}`;
        const last = before?.get(key);
        if (last !== undefined && last.pod === pod && last.zone === zone && last.serviceOpaque === serviceOpaque) {
          endpoints.set(key, last);
          continue;
        }
        const addr = translate({ ip, port, pod, zone, serviceOpaque }, options);
        if (addr !== undefined) endpoints.set(key, { addr, pod, zone, serviceOpaque });
      }
    }
  }
  return {
    state: 'exists',
    endpoints,
    pods,
    metricLabels: { service: target.name, namespace: target.namespace },
    balancerAnnotations: balancerAnnotations(service.metadata.annotations),
  };
}

function targetPort(slice: EndpointSliceObject, portName: string | undefined, servicePort: number): number | undefined {
  if (portName === undefined) return servicePort;
  const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName);
  return port?.port ?? undefined;
}

interface EndpointInput {
  readonly ip: string;
  readonly port: number;
  readonly pod: PodObject | undefined;
  readonly zone: string | undefined;
  readonly serviceOpaque: boolean;
}

function translate(input: EndpointInput, options: TranslatorOptions): WeightedAddr | undefined {
  let ip;
  try {
    ip = ipAddressFromString(input.ip);
  } catch {
    return undefined;
  }
  const { pod } = input;
  const addr: WeightedAddr = {
    addr: { ip, port: input.port },
    weight: ENDPOINT_WEIGHT,
    metricLabels: pod === undefined ? {} : podMetricLabels(pod, input.zone),
  };
  if (pod === undefined) return addr;
  addr.resourceRef = {
    kind: {
      $case: 'resource',
      resource: {
        group: 'core',
        kind: 'Pod',
        name: pod.metadata.name,
        namespace: pod.metadata.namespace,
        section: '',
        port: 0,
      },
    },
  };
  const controlPlane = pod.metadata.labels?.[CONTROL_PLANE_NS_LABEL];
  const skipped = annotatedPorts(pod, SKIP_INBOUND_PORTS_ANNOTATION)?.includes(input.port) ?? false;
  if (controlPlane === undefined || skipped) return addr;
  const opaque = input.serviceOpaque || isOpaquePort(pod, input.port, options.defaultOpaquePorts);
  addr.protocolHint = opaque
    ? { protocol: { $case: 'opaque', opaque: {} }, opaqueTransport: { inboundPort: PROXY_INBOUND_PORT } }
    : { protocol: { $case: 'h2', h2: {} } };
  if (controlPlane === options.controlNamespace) {
    const name = podIdentity(pod, options);
    if (name !== undefined) {
      addr.tlsIdentity = {
        strategy: { $case: 'dnsLikeIdentity', dnsLikeIdentity: { name } },
        serverName: { name },
      };
    }
  }
  return addr;
}

function podIdentity(pod: PodObject, options: TranslatorOptions): string | undefined {
  try {
    return identityName({
      serviceAccount: pod.spec?.serviceAccountName ?? 'default',
      namespace: pod.metadata.namespace,
      controlNamespace: options.controlNamespace,
      trustDomain: options.trustDomain,
    });
  } catch {
    return undefined;
  }
}

/** Annotations under this prefix configure the clients' balancer (failure accrual, linkerd.md §4.9). */
export const BALANCER_ANNOTATION_PREFIX = 'balancer.linkerd.io/';

function balancerAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations ?? {})) if (k.startsWith(BALANCER_ANNOTATION_PREFIX)) out[k] = v;
  return out;
}
