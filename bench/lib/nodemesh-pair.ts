// A nodemesh sidecar pair for the benchmarks, started as real processes the way the local mesh
// starts them (src/cli/demo): `nodemesh identity` (a fresh CA, local tokens), `nodemesh
// destination` on a folder of YAML, and two `nodemesh proxy` processes configured with
// NODEMESH_PROXY_* variables — the client side ("front-0", on its own loopback address) and the
// server side ("web-0", whose proxy owns port 4143 of its address, as in a pod). A request to the
// client side's outbound listener for `<service>.shop.svc.cluster.local` is resolved through
// discovery to web-0, which is meshed, so it crosses to the server side over mTLS (TLS 1.3, both
// certificates from identity) and reaches the upstream on web-0's address in plaintext.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/net/index.ts';
import { identityName, identityServiceName } from '../../src/tls/index.ts';
import { waitHttpReady, withFileLimit, type Child, type Children } from './children.ts';
import { BENCH_DOMAIN, type BenchCa } from './mesh-ca.ts';
import { imageEnv } from './proxy-node-options.ts';

/** The nodemesh binary run from source (what `npm start` runs). */
export const NODEMESH_SOURCE_BIN = fileURLToPath(new URL('../../bin/nodemesh.ts', import.meta.url));
/** The server-side proxy's inbound port: what discovery tells the client side to use (PROXY_INBOUND_PORT). */
export const PEER_INBOUND_PORT = 4143;
export const NAMESPACE = 'shop';

export interface MeshService {
  /** The Service name (`<name>.shop.svc.cluster.local`). */
  readonly name: string;
  /** The upstream's port on the server-side pod's address. */
  readonly port: number;
}

export interface NodemeshPairOptions {
  readonly children: Children;
  readonly dir: string;
  readonly ca: BenchCa;
  /** The client-side and server-side pods' loopback addresses (port 4143 of `serverIp` must be free). */
  readonly clientIp: string;
  readonly serverIp: string;
  readonly services: readonly MeshService[];
  /** The nodemesh entry point (default: the sources). */
  readonly bin?: string;
  /** CPU for the two proxies, and for identity and destination. */
  readonly proxyCpu?: number;
  readonly controlCpu?: number;
  /** NODE_OPTIONS for the two proxies (the chart's default, profiling, A/B); none when absent or ''. */
  readonly proxyNodeOptions?: string;
  /** More environment for the two proxies (A/B of proxy settings); NODEMESH_BENCH_PROXY_ENV still wins. */
  readonly proxyEnv?: Readonly<Record<string, string>>;
  /** Open-file limit for the proxies (many connections). */
  readonly fileLimit?: number;
}

export interface NodemeshPair {
  readonly client: Child;
  readonly server: Child;
  /** Where applications send: the client side's outbound listener. */
  readonly outbound: { readonly host: string; readonly port: number };
  /** The server side's inbound (mTLS) port. */
  readonly inbound: { readonly host: string; readonly port: number };
  readonly clientAdmin: string;
  readonly serverAdmin: string;
  readonly serverIdentity: string;
  readonly clientIdentity: string;
  authority(service: string): string;
}

export async function startNodemeshPair(o: NodemeshPairOptions): Promise<NodemeshPair> {
  const bin = o.bin ?? NODEMESH_SOURCE_BIN;
  const cpu = (c: number | undefined): { cpu?: number } => (c === undefined ? {} : { cpu: c });
  const quiet = { NODEMESH_LOG_LEVEL: 'warn' };

  // Control plane: identity and destination on 127.0.0.1.
  const [idGrpc, idAdmin, dstGrpc, dstAdmin] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const identity = o.children.start('nodemesh identity', process.execPath, [bin, 'identity'], {
    env: {
      NODEMESH_IDENTITY_LISTEN_ADDR: `127.0.0.1:${idGrpc}`,
      NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR: `127.0.0.1:${idAdmin}`,
      NODEMESH_IDENTITY_ISSUER_DIR: o.ca.files.issuerDir,
      NODEMESH_IDENTITY_TRUST_ANCHORS_FILE: o.ca.files.anchor,
      NODEMESH_IDENTITY_TOKEN_VALIDATOR: 'local',
      NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE: o.ca.tokenPublicKeyFile,
      ...quiet,
    },
    ...cpu(o.controlCpu),
  });
  const resources = path.join(o.dir, 'resources');
  await mkdir(resources, { recursive: true });
  await writeFile(path.join(resources, 'bench.yaml'), clusterYaml(o.clientIp, o.serverIp, o.services));
  const destination = o.children.start('nodemesh destination', process.execPath, [bin, 'destination'], {
    env: {
      NODEMESH_DESTINATION_LISTEN_ADDR: `127.0.0.1:${dstGrpc}`,
      NODEMESH_DESTINATION_ADMIN_LISTEN_ADDR: `127.0.0.1:${dstAdmin}`,
      NODEMESH_DESTINATION_SOURCE: 'files',
      NODEMESH_DESTINATION_RESOURCES_DIR: resources,
      ...quiet,
    },
    ...cpu(o.controlCpu),
  });

  // The two proxies.
  const proxy = async (
    pod: string,
    sa: string,
    ip: string,
    inboundPort: number,
  ): Promise<{ child: Child; outbound: number; admin: string; identity: string }> => {
    const dir = path.join(o.dir, 'workloads', pod);
    await mkdir(dir, { recursive: true });
    const tokenFile = path.join(dir, 'token');
    await writeFile(tokenFile, o.ca.token(NAMESPACE, sa), { mode: 0o600 });
    const [outbound, admin, control] = [await freePort(ip), await freePort(ip), await freePort(ip)];
    const id = identityName({ serviceAccount: sa, namespace: NAMESPACE, ...BENCH_DOMAIN });
    const [cmd, args] =
      o.fileLimit === undefined
        ? [process.execPath, [...extraProxyNodeArgs(), bin, 'proxy']]
        : withFileLimit(o.fileLimit, process.execPath, [...extraProxyNodeArgs(), bin, 'proxy']);
    const child = o.children.start(`nodemesh proxy ${pod}`, cmd, args, {
      env: {
        NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `${ip}:${outbound}`,
        NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `${ip}:${inboundPort}`,
        NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `${ip}:${admin}`,
        NODEMESH_PROXY_CONTROL_LISTEN_ADDR: `${ip}:${control}`,
        NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: o.ca.anchorPem,
        NODEMESH_PROXY_IDENTITY_SVC_ADDR: `127.0.0.1:${idGrpc}`,
        NODEMESH_PROXY_IDENTITY_SVC_NAME: identityServiceName(BENCH_DOMAIN),
        NODEMESH_PROXY_IDENTITY_LOCAL_NAME: id,
        NODEMESH_PROXY_IDENTITY_TOKEN_FILE: tokenFile,
        NODEMESH_PROXY_IDENTITY_DIR: dir,
        NODEMESH_PROXY_DESTINATION_SVC_ADDR: `127.0.0.1:${dstGrpc}`,
        NODEMESH_PROXY_DESTINATION_CONTEXT: JSON.stringify({ ns: NAMESPACE, pod }),
        NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD: '1s',
        ...quiet,
        // What the image gives every container (MALLOC_ARENA_MAX and the like).
        ...imageEnv(),
        ...(o.proxyNodeOptions === undefined || o.proxyNodeOptions === '' ? {} : { NODE_OPTIONS: o.proxyNodeOptions }),
        ...o.proxyEnv,
        // Extra proxy settings for a run, e.g. '{"NODEMESH_PROXY_OUTBOUND_HTTP1_OVER_HTTP2":"true"}'.
        ...extraProxyEnv(),
      },
      ...cpu(o.proxyCpu),
    });
    return { child, outbound, admin: `http://${ip}:${admin}`, identity: id };
  };
  await Promise.all([
    waitHttpReady(identity, `http://127.0.0.1:${idAdmin}/ready`),
    waitHttpReady(destination, `http://127.0.0.1:${dstAdmin}/ready`),
  ]);
  const [client, server] = await Promise.all([
    proxy('front-0', 'front', o.clientIp, await freePort(o.clientIp)),
    proxy('web-0', 'web', o.serverIp, PEER_INBOUND_PORT),
  ]);
  await Promise.all([
    waitHttpReady(client.child, `${client.admin}/ready`, 60_000),
    waitHttpReady(server.child, `${server.admin}/ready`, 60_000),
  ]);
  return {
    client: client.child,
    server: server.child,
    outbound: { host: o.clientIp, port: client.outbound },
    inbound: { host: o.serverIp, port: PEER_INBOUND_PORT },
    clientAdmin: client.admin,
    serverAdmin: server.admin,
    serverIdentity: server.identity,
    clientIdentity: client.identity,
    authority: (service) => `${service}.${NAMESPACE}.svc.cluster.local`,
  };
}

/** The cluster state destination serves: the two pods (web-0 meshed) and one Service per upstream. */
function clusterYaml(clientIp: string, serverIp: string, services: readonly MeshService[]): string {
  const pod = (name: string, sa: string, ip: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${NAMESPACE}
  labels: { app: ${sa}, nodemesh.io/control-plane-ns: ${BENCH_DOMAIN.controlNamespace} }
spec:
  serviceAccountName: ${sa}
  containers: [{ name: app, image: bench/${sa} }]
status:
  podIP: ${ip}
`;
  const service = (s: MeshService, i: number): string => `apiVersion: v1
kind: Service
metadata: { name: ${s.name}, namespace: ${NAMESPACE} }
spec:
  clusterIP: 10.96.7.${10 + i}
  ports: [{ name: http, port: 80, targetPort: ${s.port} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${s.name}-1, namespace: ${NAMESPACE}, labels: { kubernetes.io/service-name: ${s.name} } }
addressType: IPv4
ports: [{ name: http, port: ${s.port} }]
endpoints:
  - addresses: ['${serverIp}']
    conditions: { ready: true }
    targetRef: { kind: Pod, name: web-0, namespace: ${NAMESPACE} }
`;
  return [pod('front-0', 'front', clientIp), pod('web-0', 'web', serverIp), ...services.map(service)].join('---\n');
}

/**
 * NODEMESH_BENCH_PROXY_NODE_ARGS: Node/V8 flags put before the script on both proxies' command
 * line, space-separated — for flags Node refuses in NODE_OPTIONS (e.g. --single-threaded-gc).
 */
export function extraProxyNodeArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.NODEMESH_BENCH_PROXY_NODE_ARGS ?? '';
  const args = raw.split(/\s+/).filter((a) => a !== '');
  const bad = args.find((a) => !a.startsWith('--'));
  if (bad !== undefined)
    throw new Error(
      `NODEMESH_BENCH_PROXY_NODE_ARGS: ${JSON.stringify(bad)} is not a flag (each item must start with --)`,
    );
  return args;
}

function extraProxyEnv(): Record<string, string> {
  const raw = process.env.NODEMESH_BENCH_PROXY_ENV;
  if (raw === undefined || raw === '') return {};
  const parsed: unknown = JSON.parse(raw);
  if (parsed === null || typeof parsed !== 'object') throw new Error('NODEMESH_BENCH_PROXY_ENV must be a JSON object');
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}
