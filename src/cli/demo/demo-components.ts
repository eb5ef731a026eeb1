// The components the local mesh starts, in start order, with the addresses they serve.
//
// Each entry is built from the state folder (certificates, keys, config files) and describes one
// child process on loopback, on ports picked free at start (the dashboard prefers 127.0.0.1:50750).
// Components are added here as they are built; PLANNED_COMPONENTS names the rest so the demo can
// say what it does not run yet.

import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../errors/index.ts';
import { freePort } from '../../net/index.ts';
import { DEFAULT_CONTROL_NAMESPACE, DEFAULT_TRUST_DOMAIN, identityName, identityServiceName } from '../../tls/index.ts';
import { mintLocalToken } from '../../tokens/index.ts';
import { caFiles, createCaFiles } from '../identity/ca-files.ts';
import { createKeyIfMissing } from '../identity/token-command.ts';
import { issueDestinationCertificate } from './destination-certificate.ts';
import type { ComponentSpec } from './supervisor.ts';

export interface DemoComponent {
  readonly spec: ComponentSpec;
  /** What it serves, for state.json and the printed table: name → address. */
  readonly addresses: Record<string, string>;
  /**
   * What to start instead, once, when this component fails to start (start-component.ts); only
   * for a component whose address no other component was given.
   */
  readonly fallback?: () => Promise<DemoComponent>;
}

export interface DemoComponentsOptions {
  readonly stateDir: string;
  /** Extra NODEMESH_PROXY_* settings for every proxy (`--proxy-env`); never one the demo sets itself. */
  readonly proxyEnv?: Readonly<Record<string, string>>;
}

export const PLANNED_COMPONENTS: readonly string[] = [];

/** Where the demo's dashboard listens when that port is free (`nodemesh dashboard`'s default). */
export const DEMO_DASHBOARD_PORT = 50750;

const DAY_MS = 86_400_000;
const ISSUER_LIFETIME_MS = 7 * DAY_MS;
const DOMAIN = { trustDomain: DEFAULT_TRUST_DOMAIN, controlNamespace: DEFAULT_CONTROL_NAMESPACE };

export async function demoComponents(opts: DemoComponentsOptions): Promise<readonly DemoComponent[]> {
  const identity = await identityComponent(opts.stateDir);
  const destination = await destinationComponent(opts.stateDir);
  const control: ControlPlane = {
    identityAddr: identity.addresses.grpc ?? '',
    trustAnchorsPem: await readFile(identity.addresses.trustAnchors ?? '', 'utf8'),
    destinationAddr: destination.addresses.grpc ?? '',
    destinationName: destination.addresses.identity ?? '',
    tokenKey: path.join(opts.stateDir, 'identity', 'token.key'),
    stateDir: opts.stateDir,
    proxyEnv: opts.proxyEnv ?? {},
  };
  return [
    identity,
    destination,
    ...(await workload(control, {
      pod: 'web-0',
      sa: 'web',
      ip: '127.0.10.1',
      app: ['web', '--listen', '127.0.10.1:8080', '--name', 'web-0'],
    })),
    ...(await workload(control, {
      pod: 'web-1',
      sa: 'web',
      ip: '127.0.10.2',
      app: ['web', '--listen', '127.0.10.2:8080', '--name', 'web-1'],
    })),
    ...(await workload(control, {
      pod: 'front-0',
      sa: 'front',
      ip: '127.0.11.1',
      app: ['traffic', '--via', '127.0.11.1:4140', '--target', 'web.shop.svc.cluster.local', '--interval', '200'],
      appAfterProxy: true,
    })),
    await dashboardComponent(opts.stateDir),
  ];
}

/** `nodemesh dashboard` on this mesh's state folder; its page's URL is the `url` address. */
async function dashboardComponent(stateDir: string): Promise<DemoComponent> {
  if (!(await portIsFree(DEMO_DASHBOARD_PORT))) return dashboardOn(stateDir, await freePort());
  // 50750 is in the ephemeral range: a component's outbound connection can take it before the
  // dashboard binds it. Nothing else was given this address, so a free port then serves as well.
  return {
    ...dashboardOn(stateDir, DEMO_DASHBOARD_PORT),
    fallback: async () => dashboardOn(stateDir, await freePort()),
  };
}

function dashboardOn(stateDir: string, port: number): DemoComponent {
  const url = `http://127.0.0.1:${port}/`;
  return {
    spec: {
      name: 'dashboard',
      args: ['dashboard', '--address', `127.0.0.1:${port}`, '--state-dir', stateDir],
      env: { NODEMESH_LOG_FORMAT: 'json' },
      readyUrl: url,
    },
    addresses: { url },
  };
}

/** Whether nothing listens on 127.0.0.1:`port` right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

interface ControlPlane {
  readonly identityAddr: string;
  readonly trustAnchorsPem: string;
  readonly destinationAddr: string;
  /** The destination's identity name: proxies reach it over TLS and verify it. */
  readonly destinationName: string;
  readonly tokenKey: string;
  readonly stateDir: string;
  readonly proxyEnv: Readonly<Record<string, string>>;
}

interface WorkloadSpec {
  readonly pod: string;
  readonly sa: string;
  readonly ip: string;
  /** `nodemesh demo-app` arguments. */
  readonly app: readonly string[];
  /** Start the app once its proxy is ready (clients), instead of before it (servers). */
  readonly appAfterProxy?: boolean;
}

/** An application and its sidecar proxy on the workload's own loopback address. */
async function workload(control: ControlPlane, w: WorkloadSpec): Promise<DemoComponent[]> {
  const dir = path.join(control.stateDir, 'workloads', w.pod);
  await mkdir(dir, { recursive: true });
  const tokenFile = path.join(dir, 'token');
  const token = mintLocalToken({
    key: await readFile(control.tokenKey, 'utf8'),
    namespace: 'shop',
    serviceAccount: w.sa,
  });
  await writeFile(tokenFile, token, { mode: 0o600 });
  const identity = identityName({ serviceAccount: w.sa, namespace: 'shop', ...DOMAIN });
  const app: DemoComponent = {
    spec: { name: `${w.pod}-app`, args: ['demo-app', ...w.app], env: { NODEMESH_LOG_FORMAT: 'json' } },
    addresses: { app: w.app.join(' ') },
  };
  const own: Record<string, string> = {
    NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `${w.ip}:4140`,
    NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `${w.ip}:4143`,
    NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `${w.ip}:4191`,
    NODEMESH_PROXY_CONTROL_LISTEN_ADDR: `${w.ip}:4190`,
    NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: control.trustAnchorsPem,
    NODEMESH_PROXY_IDENTITY_SVC_ADDR: control.identityAddr,
    NODEMESH_PROXY_IDENTITY_SVC_NAME: identityServiceName(DOMAIN),
    NODEMESH_PROXY_IDENTITY_LOCAL_NAME: identity,
    NODEMESH_PROXY_IDENTITY_TOKEN_FILE: tokenFile,
    NODEMESH_PROXY_IDENTITY_DIR: dir,
    NODEMESH_PROXY_DESTINATION_SVC_ADDR: control.destinationAddr,
    NODEMESH_PROXY_DESTINATION_SVC_NAME: control.destinationName,
    NODEMESH_PROXY_DESTINATION_CONTEXT: JSON.stringify({ ns: 'shop', pod: w.pod }),
    NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD: '2s',
    NODEMESH_LOG_FORMAT: 'json',
  };
  const taken = Object.keys(control.proxyEnv).filter((name) => name in own);
  if (taken.length > 0) {
    throw new UsageError(`demo: --proxy-env cannot change ${taken.join(', ')}: the local mesh sets it itself`);
  }
  const proxy: DemoComponent = {
    spec: {
      name: `${w.pod}-proxy`,
      args: ['proxy'],
      env: { ...control.proxyEnv, ...own },
      readyUrl: `http://${w.ip}:4191/ready`,
    },
    addresses: {
      identity,
      outbound: `${w.ip}:4140`,
      inbound: `${w.ip}:4143`,
      admin: `http://${w.ip}:4191`,
      control: `http://${w.ip}:4190`,
    },
  };
  return w.appAfterProxy === true ? [proxy, app] : [app, proxy];
}

/** The example cluster state shipped with the repository (examples/local-mesh). */
const EXAMPLES = fileURLToPath(new URL('../../../examples/local-mesh/', import.meta.url));

/**
 * Destination on a copy of the example YAML folder (edit the copy while the mesh runs), serving
 * TLS with a certificate for its identity from the mesh's issuer (identityComponent made it).
 */
async function destinationComponent(stateDir: string): Promise<DemoComponent> {
  const resources = path.join(stateDir, 'destination', 'resources');
  await rm(resources, { recursive: true, force: true });
  await cp(EXAMPLES, resources, { recursive: true });
  const tls = await issueDestinationCertificate({
    ca: caFiles(path.join(stateDir, 'identity', 'ca')),
    domain: DOMAIN,
    dir: path.join(stateDir, 'destination', 'tls'),
    lifetimeMs: ISSUER_LIFETIME_MS,
  });
  const grpc = `127.0.0.1:${await freePort()}`;
  const admin = `127.0.0.1:${await freePort()}`;
  return {
    spec: {
      name: 'destination',
      args: ['destination'],
      env: {
        NODEMESH_DESTINATION_LISTEN_ADDR: grpc,
        NODEMESH_DESTINATION_ADMIN_LISTEN_ADDR: admin,
        NODEMESH_DESTINATION_SOURCE: 'files',
        NODEMESH_DESTINATION_RESOURCES_DIR: resources,
        NODEMESH_DESTINATION_TLS_CERT_FILE: tls.certFile,
        NODEMESH_DESTINATION_TLS_KEY_FILE: tls.keyFile,
        NODEMESH_LOG_FORMAT: 'json',
      },
      readyUrl: `http://${admin}/ready`,
    },
    addresses: { grpc, admin: `http://${admin}`, identity: tls.identity, resources },
  };
}

/** Identity with a fresh trust anchor each run, validating local tokens. */
async function identityComponent(stateDir: string): Promise<DemoComponent> {
  const dir = path.join(stateDir, 'identity');
  await rm(path.join(dir, 'ca'), { recursive: true, force: true });
  const ca = await createCaFiles({
    dir: path.join(dir, 'ca'),
    domain: DOMAIN,
    anchorLifetimeMs: 30 * DAY_MS,
    issuerLifetimeMs: ISSUER_LIFETIME_MS,
    force: true,
    command: 'demo',
  });
  const tokenKey = path.join(dir, 'token.key');
  await createKeyIfMissing(tokenKey);
  const grpc = `127.0.0.1:${await freePort()}`;
  const admin = `127.0.0.1:${await freePort()}`;
  return {
    spec: {
      name: 'identity',
      args: ['identity'],
      env: {
        NODEMESH_IDENTITY_LISTEN_ADDR: grpc,
        NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR: admin,
        NODEMESH_IDENTITY_ISSUER_DIR: ca.files.issuerDir,
        NODEMESH_IDENTITY_TRUST_ANCHORS_FILE: ca.files.anchor,
        NODEMESH_IDENTITY_TOKEN_VALIDATOR: 'local',
        NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE: `${tokenKey}.pub`,
        NODEMESH_LOG_FORMAT: 'json',
      },
      readyUrl: `http://${admin}/ready`,
    },
    addresses: { grpc, admin: `http://${admin}`, identity: identityServiceName(DOMAIN), trustAnchors: ca.files.anchor },
  };
}
