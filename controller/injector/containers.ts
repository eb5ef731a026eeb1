// The containers and volumes the injector adds (reference §4.12 and §7.3, ADR 0011): the proxy
// (`nodemesh-proxy`), the iptables init container (`nodemesh-init`) and their volumes, built from
// one pod's ProxySettings.
//
// Contract: pure. The proxy gets only environment variables proxy/config.ts reads (names below;
// test/integration/injector-proxy-env.test.ts parses them with the proxy's own parser), and
// proxy-init gets only flags it knows (proxy/init/proxy-init-help.ts).

import type { InjectorConfig, ResourceRange } from './injector-config.ts';
import {
  controlPlaneAddresses,
  END_ENTITY_DIR,
  IMAGE_ENTRYPOINT,
  INIT_CONTAINER_NAME,
  PORT_NAME_ADMIN,
  PORT_NAME_PROXY,
  PROXY_CONTAINER_NAME,
  TOKEN_AUDIENCE,
  TOKEN_DIR,
  TOKEN_EXPIRATION_SECONDS,
  TOKEN_FILE_NAME,
  VOLUME_END_ENTITY,
  VOLUME_TOKEN,
  VOLUME_XTABLES_LOCK,
  XTABLES_LOCK_DIR,
} from './names.ts';
import { formatPorts } from './ports.ts';
import type { ProxySettings } from './proxy-settings.ts';

type Json = Record<string, unknown>;

/** How long the legacy postStart hook waits for the proxy (ADR 0011: 2 min cap). */
export const PROXY_AWAIT_TIMEOUT = '2m';

export function proxyVolumes(cniEnabled: boolean): Json[] {
  return [
    ...(cniEnabled ? [] : [{ name: VOLUME_XTABLES_LOCK, emptyDir: {} }]),
    { name: VOLUME_END_ENTITY, emptyDir: { medium: 'Memory' } },
    {
      name: VOLUME_TOKEN,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: TOKEN_AUDIENCE,
              expirationSeconds: TOKEN_EXPIRATION_SECONDS,
              path: TOKEN_FILE_NAME,
            },
          },
        ],
      },
    },
  ];
}

export function initContainer(s: ProxySettings): Json {
  const args = [
    'proxy-init',
    '--incoming-proxy-port',
    String(s.ports.inbound),
    '--outgoing-proxy-port',
    String(s.ports.outbound),
    '--proxy-uid',
    String(s.uid),
    ...(s.gid >= 0 ? ['--proxy-gid', String(s.gid)] : []),
    '--inbound-ports-to-ignore',
    s.init.inboundPortsToIgnore,
    ...(s.init.outboundPortsToIgnore === '' ? [] : ['--outbound-ports-to-ignore', s.init.outboundPortsToIgnore]),
    ...(s.init.subnetsToIgnore === '' ? [] : ['--subnets-to-ignore', s.init.subnetsToIgnore]),
    '--iptables-mode',
    s.init.iptablesMode,
  ];
  return {
    name: INIT_CONTAINER_NAME,
    image: `${s.image}:${s.version}`,
    imagePullPolicy: s.pullPolicy,
    args,
    ...resources(s.init.resources),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: s.init.runAsUser !== 0,
      runAsUser: s.init.runAsUser,
      runAsGroup: s.init.runAsGroup,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ name: VOLUME_XTABLES_LOCK, mountPath: XTABLES_LOCK_DIR }],
  };
}

export function proxyContainer(s: ProxySettings, config: InjectorConfig): Json {
  const ns = config.controlPlaneNamespace;
  const cp = controlPlaneAddresses(ns, config.clusterDomain, config.identityTrustDomain);
  const probe = (path: string): Json => ({ httpGet: { path, port: s.ports.admin } });
  const container: Json = {
    name: PROXY_CONTAINER_NAME,
    image: `${s.image}:${s.version}`,
    imagePullPolicy: s.pullPolicy,
    args: ['proxy'],
    env: proxyEnv(s, config, cp),
    ports: [
      { name: PORT_NAME_PROXY, containerPort: s.ports.inbound },
      { name: PORT_NAME_ADMIN, containerPort: s.ports.admin },
    ],
    livenessProbe: {
      ...probe('/live'),
      initialDelaySeconds: config.proxy.livenessProbe.initialDelaySeconds,
      timeoutSeconds: config.proxy.livenessProbe.timeoutSeconds,
    },
    readinessProbe: {
      ...probe('/ready'),
      initialDelaySeconds: config.proxy.readinessProbe.initialDelaySeconds,
      timeoutSeconds: config.proxy.readinessProbe.timeoutSeconds,
    },
    ...resources(s.resources),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: s.uid !== 0,
      runAsUser: s.uid,
      ...(s.gid >= 0 ? { runAsGroup: s.gid } : {}),
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [
      { name: VOLUME_END_ENTITY, mountPath: END_ENTITY_DIR },
      { name: VOLUME_TOKEN, mountPath: TOKEN_DIR },
    ],
  };
  if (s.nativeSidecar) {
    container['restartPolicy'] = 'Always';
    container['startupProbe'] = {
      ...probe('/ready'),
      initialDelaySeconds: config.proxy.startupProbe.initialDelaySeconds,
      periodSeconds: config.proxy.startupProbe.periodSeconds,
      failureThreshold: config.proxy.startupProbe.failureThreshold,
    };
    return container;
  }
  const lifecycle: Json = {};
  if (s.await) {
    lifecycle['postStart'] = {
      exec: {
        command: [
          ...IMAGE_ENTRYPOINT,
          'proxy-await',
          '--port',
          String(s.ports.admin),
          '--timeout',
          PROXY_AWAIT_TIMEOUT,
        ],
      },
    };
  }
  if (s.waitBeforeExitSeconds > 0) {
    lifecycle['preStop'] = { exec: { command: ['/bin/sleep', String(s.waitBeforeExitSeconds)] } };
  }
  if (Object.keys(lifecycle).length > 0) container['lifecycle'] = lifecycle;
  return container;
}

function proxyEnv(s: ProxySettings, config: InjectorConfig, cp: ReturnType<typeof controlPlaneAddresses>): Json[] {
  const field = (name: string, fieldPath: string): Json => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const env: Json[] = [
    field('_pod_name', 'metadata.name'),
    field('_pod_ns', 'metadata.namespace'),
    field('_pod_nodeName', 'spec.nodeName'),
    field('_pod_sa', 'spec.serviceAccountName'),
  ];
  const set = (name: string, value: string): void => {
    env.push({ name, value });
  };
  set('NODEMESH_LOG_LEVEL', s.logLevel);
  set('NODEMESH_LOG_FORMAT', s.logFormat);
  set('NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS', `127.0.0.1:${s.ports.outbound}`);
  set('NODEMESH_PROXY_INBOUND_LISTEN_ADDR', `0.0.0.0:${s.ports.inbound}`);
  // The kubelet probes the admin server from outside the pod's loopback.
  set('NODEMESH_PROXY_ADMIN_LISTEN_ADDR', `0.0.0.0:${s.ports.admin}`);
  set('NODEMESH_PROXY_CONTROL_LISTEN_ADDR', `0.0.0.0:${s.ports.control}`);
  set('NODEMESH_PROXY_INBOUND_CONNECT_TIMEOUT', s.inboundConnectTimeout);
  set('NODEMESH_PROXY_OUTBOUND_CONNECT_TIMEOUT', s.outboundConnectTimeout);
  set('NODEMESH_PROXY_INBOUND_DEFAULT_POLICY', s.defaultInboundPolicy);
  if (s.requireIdentityInboundPorts !== '') {
    set('NODEMESH_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY', s.requireIdentityInboundPorts);
  }
  if (s.opaquePorts.length > 0) {
    set('NODEMESH_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION', formatPorts(s.opaquePorts));
  }
  set('NODEMESH_PROXY_POLICY_CLUSTER_NETWORKS', config.clusterNetworks);
  set('NODEMESH_PROXY_SHUTDOWN_ENDPOINT_ENABLED', String(s.shutdownEndpoint));
  if (s.shutdownGracePeriod !== '') set('NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD', s.shutdownGracePeriod);
  if (s.ingress) set('NODEMESH_PROXY_INGRESS_MODE', 'true');
  set('NODEMESH_PROXY_DESTINATION_SVC_ADDR', cp.destinationAddr);
  set('NODEMESH_PROXY_DESTINATION_SVC_NAME', cp.destinationName);
  set('NODEMESH_PROXY_DESTINATION_CONTEXT', '{"ns":"$(_pod_ns)","nodeName":"$(_pod_nodeName)","pod":"$(_pod_name)"}');
  set('NODEMESH_PROXY_DESTINATION_PROFILE_SUFFIXES', `svc.${config.clusterDomain}.`);
  set('NODEMESH_PROXY_IDENTITY_DIR', END_ENTITY_DIR);
  set('NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS', config.identityTrustAnchorsPEM);
  set('NODEMESH_PROXY_IDENTITY_TOKEN_FILE', `${TOKEN_DIR}/${TOKEN_FILE_NAME}`);
  set('NODEMESH_PROXY_IDENTITY_SVC_ADDR', cp.identityAddr);
  set('NODEMESH_PROXY_IDENTITY_SVC_NAME', cp.identityName);
  set('NODEMESH_PROXY_IDENTITY_LOCAL_NAME', cp.localName);
  if (s.nodeOptions !== '') set('NODE_OPTIONS', s.nodeOptions);
  for (const extra of s.additionalEnv) env.push({ ...extra });
  return env;
}

function resources(r: Readonly<Record<string, ResourceRange>>): Json {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const [name, range] of Object.entries(r)) {
    if (range.request !== '') requests[name] = range.request;
    if (range.limit !== '') limits[name] = range.limit;
  }
  const out: Json = {};
  if (Object.keys(requests).length > 0) out['requests'] = requests;
  if (Object.keys(limits).length > 0) out['limits'] = limits;
  return Object.keys(out).length > 0 ? { resources: out } : {};
}
