// A small cluster made of network namespaces, for end-to-end tests of the whole mesh on real Linux
// networking: a "node" namespace holding a bridge and the control plane (identity, and destination
// on the file source), and "pods", each a namespace joined to the bridge by a veth pair, with its
// own address and a default route through the bridge. A Service is a virtual IP that nothing but
// the proxies understand (there is no kube-proxy): a pod without a proxy cannot reach it.
//
// Contract: everything is created through test/e2e/netns.ts, so cleanupNetns() in after() kills
// every process and deletes every namespace, also after a failure. Proxies run as UID 2102 with
// the same settings the injector gives them; their state (token, identity folder) lives in a
// temporary folder removed by `dispose()`.

import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { caFiles, createCaFiles } from '../../src/cli/identity/ca-files.ts';
import { createKeyIfMissing } from '../../src/cli/identity/token-command.ts';
import { issueDestinationCertificate } from '../../src/cli/demo/destination-certificate.ts';
import {
  DEFAULT_CONTROL_NAMESPACE,
  DEFAULT_TRUST_DOMAIN,
  identityName,
  identityServiceName,
} from '../../src/tls/index.ts';
import { mintLocalToken } from '../../src/tokens/index.ts';
import { Netns, runOk, vethPair, type BackgroundProcess } from './netns.ts';

export const BIN = fileURLToPath(new URL('../../bin/nodemesh.ts', import.meta.url));
export const NODE = process.execPath;
export const PROXY_UID = 2102;
export const DOMAIN = { trustDomain: DEFAULT_TRUST_DOMAIN, controlNamespace: DEFAULT_CONTROL_NAMESPACE };
const BRIDGE = 'nmbr0';
const IDENTITY_PORT = 8080;
const DESTINATION_PORT = 8086;
const DAY_MS = 86_400_000;

export interface LabPod {
  readonly name: string;
  readonly ns: Netns;
  readonly ip: string;
}

export interface ProxyOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Extra NODEMESH_PROXY_* settings. */
  readonly env?: Readonly<Record<string, string>>;
}

export class MeshLab {
  readonly node: Netns;
  /** The first three octets of the pods' /24, e.g. `10.201.7`. */
  readonly prefix: string;
  readonly gateway: string;
  readonly dir: string;
  #pods = 0;
  #controlPlane: { anchorsPem: string; tokenKeyPem: string; destinationName: string } | undefined;

  private constructor(node: Netns, prefix: string, dir: string) {
    this.node = node;
    this.prefix = prefix;
    this.gateway = `${prefix}.1`;
    this.dir = dir;
  }

  /** The node namespace with its bridge at `<prefix>.1/24`. */
  static async create(prefix: string): Promise<MeshLab> {
    const node = await Netns.create('nm-node');
    await node.ip(['link', 'add', BRIDGE, 'type', 'bridge']);
    await node.ip(['addr', 'add', `${prefix}.1/24`, 'dev', BRIDGE]);
    await node.ip(['link', 'set', BRIDGE, 'up']);
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-lab-'));
    // Proxies run as 2102 and must reach their own folders under it.
    await chmod(dir, 0o755);
    return new MeshLab(node, prefix, dir);
  }

  get bridge(): string {
    return BRIDGE;
  }

  /** A pod namespace at `<prefix>.<host>` with `eth0` on the bridge and a default route. */
  async addPod(name: string, host: number): Promise<LabPod> {
    const ns = await Netns.create(`nm-${name}`);
    const ip = `${this.prefix}.${host}`;
    const hostSide = `nmv${++this.#pods}`;
    await vethPair(ns, this.node, { names: ['eth0', hostSide], addresses: [] });
    await ns.ip(['addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    await ns.ip(['route', 'add', 'default', 'via', this.gateway]);
    await this.node.ip(['link', 'set', hostSide, 'master', BRIDGE]);
    // Segments no larger than the MTU: a TLS 1.3 ClientHello with a post-quantum key share (~1.5 KB)
    // would otherwise cross as one GSO packet, which the capture sometimes loses whole.
    await ns.ip(['link', 'set', 'eth0', 'gso_max_size', '1500', 'gso_max_segs', '1']);
    await this.node.ip(['link', 'set', hostSide, 'gso_max_size', '1500', 'gso_max_segs', '1']);
    return { name, ns, ip };
  }

  /**
   * Identity (fresh trust anchor, local tokens) and destination (file source on `resourcesYaml`),
   * both in the node namespace on the bridge address; resolves once both are ready.
   */
  async startControlPlane(resourcesYaml: string): Promise<void> {
    const ca = await createCaFiles({
      dir: path.join(this.dir, 'ca'),
      domain: DOMAIN,
      anchorLifetimeMs: DAY_MS,
      issuerLifetimeMs: DAY_MS,
      force: true,
      command: 'e2e',
    });
    const tokenKey = path.join(this.dir, 'token.key');
    await createKeyIfMissing(tokenKey);
    const resources = path.join(this.dir, 'resources');
    await mkdir(resources);
    await writeFile(path.join(resources, 'cluster.yaml'), resourcesYaml);
    const tls = await issueDestinationCertificate({
      ca: caFiles(path.join(this.dir, 'ca')),
      domain: DOMAIN,
      dir: path.join(this.dir, 'destination-tls'),
      lifetimeMs: DAY_MS,
    });
    const identity = this.node.spawn('env', [
      `NODEMESH_IDENTITY_LISTEN_ADDR=${this.gateway}:${IDENTITY_PORT}`,
      'NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR=127.0.0.1:9990',
      `NODEMESH_IDENTITY_ISSUER_DIR=${ca.files.issuerDir}`,
      `NODEMESH_IDENTITY_TRUST_ANCHORS_FILE=${ca.files.anchor}`,
      'NODEMESH_IDENTITY_TOKEN_VALIDATOR=local',
      `NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE=${tokenKey}.pub`,
      'NODEMESH_LOG_FORMAT=json',
      NODE,
      BIN,
      'identity',
    ]);
    const destination = this.node.spawn('env', [
      `NODEMESH_DESTINATION_LISTEN_ADDR=${this.gateway}:${DESTINATION_PORT}`,
      'NODEMESH_DESTINATION_ADMIN_LISTEN_ADDR=127.0.0.1:9996',
      'NODEMESH_DESTINATION_SOURCE=files',
      `NODEMESH_DESTINATION_RESOURCES_DIR=${resources}`,
      `NODEMESH_DESTINATION_TLS_CERT_FILE=${tls.certFile}`,
      `NODEMESH_DESTINATION_TLS_KEY_FILE=${tls.keyFile}`,
      'NODEMESH_LOG_FORMAT=json',
      NODE,
      BIN,
      'destination',
    ]);
    await Promise.all([
      this.#waitReady(identity, 'http://127.0.0.1:9990/ready'),
      this.#waitReady(destination, 'http://127.0.0.1:9996/ready'),
    ]);
    this.#controlPlane = {
      anchorsPem: await readFile(ca.files.anchor, 'utf8'),
      tokenKeyPem: await readFile(tokenKey, 'utf8'),
      destinationName: tls.identity,
    };
  }

  /** The mesh identity of a service account. */
  static identityOf(namespace: string, serviceAccount: string): string {
    return identityName({ serviceAccount, namespace, ...DOMAIN });
  }

  /**
   * The pod's proxy as UID 2102 with its default listeners (outbound 127.0.0.1:4140, inbound
   * 0.0.0.0:4143, admin 127.0.0.1:4191); resolves once it reports ready (certified).
   */
  async startProxy(pod: LabPod, opts: ProxyOptions): Promise<BackgroundProcess> {
    const cp = this.#controlPlane;
    if (cp === undefined) throw new Error('startControlPlane() first');
    const dir = path.join(this.dir, 'pods', pod.name);
    await mkdir(dir, { recursive: true });
    const tokenFile = path.join(dir, 'token');
    await writeFile(
      tokenFile,
      mintLocalToken({ key: cp.tokenKeyPem, namespace: opts.namespace, serviceAccount: opts.serviceAccount }),
      { mode: 0o600 },
    );
    await chown(dir, PROXY_UID, PROXY_UID);
    await chown(tokenFile, PROXY_UID, PROXY_UID);
    await chmod(path.join(this.dir, 'pods'), 0o755);
    const env: Record<string, string> = {
      NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: cp.anchorsPem,
      NODEMESH_PROXY_IDENTITY_SVC_ADDR: `${this.gateway}:${IDENTITY_PORT}`,
      NODEMESH_PROXY_IDENTITY_SVC_NAME: identityServiceName(DOMAIN),
      NODEMESH_PROXY_IDENTITY_LOCAL_NAME: MeshLab.identityOf(opts.namespace, opts.serviceAccount),
      NODEMESH_PROXY_IDENTITY_TOKEN_FILE: tokenFile,
      NODEMESH_PROXY_IDENTITY_DIR: dir,
      NODEMESH_PROXY_DESTINATION_SVC_ADDR: `${this.gateway}:${DESTINATION_PORT}`,
      NODEMESH_PROXY_DESTINATION_SVC_NAME: cp.destinationName,
      NODEMESH_PROXY_DESTINATION_CONTEXT: JSON.stringify({ ns: opts.namespace, pod: pod.name }),
      NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD: '1s',
      NODEMESH_LOG_FORMAT: 'json',
      ...opts.env,
    };
    const proxy = pod.ns.spawn('env', [
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      'setpriv',
      `--reuid=${PROXY_UID}`,
      `--regid=${PROXY_UID}`,
      '--clear-groups',
      NODE,
      BIN,
      'proxy',
    ]);
    await proxy.waitFor(/"msg":"proxy started"/, 20_000);
    await this.#pollInside(pod.ns, 'http://127.0.0.1:4191/ready');
    return proxy;
  }

  /** Deletes the lab's temporary folder (namespaces and processes go with cleanupNetns()). */
  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  async #waitReady(proc: BackgroundProcess, url: string): Promise<void> {
    try {
      await this.#pollInside(this.node, url);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${proc.output}`, { cause: err });
    }
  }

  /** Polls `url` with curl inside `ns` until it answers 200, for at most 20 s. */
  async #pollInside(ns: Netns, url: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await ns.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', url]);
      if (res.stdout === '200') return;
      if (Date.now() > deadline) throw new Error(`${url} in ${ns.name} not ready within 20 s (last: ${res.stdout})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Starts `tcpdump` on every interface of the node namespace (the bridge and each pod's port on it:
 * everything that crosses between pods) writing to a file; `stop()` flushes it and returns the bytes.
 */
export async function captureBridge(lab: MeshLab): Promise<{ stop(): Promise<Buffer> }> {
  const file = path.join(lab.dir, `capture-${Date.now()}.pcap`);
  // --immediate-mode: without it packets wait in the kernel's capture blocks (up to a second) and
  // those still waiting when tcpdump is stopped never reach the file. -s 2048 -B 8192: with a
  // snapshot length of 256 KiB (-s 0) each slot of the kernel's capture ring is that large, the
  // default 2 MiB ring holds a handful of packets and a burst of handshakes overflows it ("packets
  // dropped by kernel"); the pods' links send nothing larger than the MTU (addPod), so 2 KiB keeps
  // every byte.
  const proc = lab.node.spawn('tcpdump', [
    '-i',
    'any',
    '--immediate-mode',
    '-U',
    '-s',
    '2048',
    '-B',
    '8192',
    '-n',
    '-w',
    file,
    'tcp',
  ]);
  await proc.waitFor(/listening on/, 10_000);
  return {
    async stop(): Promise<Buffer> {
      // Give the last packets a moment to be written before tcpdump stops (-U flushes per packet).
      await new Promise((resolve) => setTimeout(resolve, 200));
      await proc.stop();
      return readFile(file);
    },
  };
}

/** `ip netns exec` + curl inside a pod; the body, or throws with curl's error. */
export async function curlIn(pod: LabPod, url: string, extra: readonly string[] = []): Promise<string> {
  const res = await pod.ns.exec('curl', ['-sS', '--max-time', '10', ...extra, url], { timeoutMs: 15_000 });
  if (res.code !== 0) throw new Error(`curl ${url} in ${pod.name} exited ${res.code}: ${res.stderr}`);
  return res.stdout;
}

export { runOk };
