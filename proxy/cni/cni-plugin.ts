// The chained CNI plugin (CNI 1.0): after the cluster's network plugin has set up a pod's network,
// the runtime runs this one with the same configuration and the previous result. For a pod with the
// nodemesh proxy and no nodemesh-init container, ADD writes proxy-init's iptables rules inside the
// pod's network namespace; DEL removes them again, and only when this plugin wrote them; CHECK
// compares them with what ADD wrote; VERSION, STATUS and GC answer as the specification asks.
//
// Contract: never throws. Writes the result (ADD: prevResult unchanged; VERSION: the supported
// versions) or, on failure, the specification's error object as JSON on stdout and returns 1;
// logs JSON lines on stderr. A pod it should not touch (not a Kubernetes pod, no proxy, has
// nodemesh-init) passes through with a log line saying why. It fails closed: a meshed pod whose
// rules cannot be written fails ADD, so it never runs unmeshed.

import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { EnvSource } from '../../src/config/index.ts';
import { ConfigError, MeshError } from '../../src/errors/index.ts';
import { createLogger, type Logger } from '../../src/log/index.ts';
import {
  buildFirewallPlans,
  parseProxyInitConfig,
  renderDryRun,
  type Exec,
  type ProxyInitConfig,
  type ProxyInitFlags,
  type Which,
} from '../init/index.ts';
import { applyInterception, checkInterception, removeInterception } from '../init/interception.ts';
import { parseCniConfig, SUPPORTED_VERSIONS, type CniConfig } from './cni-config.ts';
import { parseCniEnv, type CniEnv } from './cni-env.ts';
import { CNI_ERROR, CniError } from './cni-errors.ts';
import { podDecision, podRules, type PodShape } from './cni-pod.ts';
import { readRecord, removeRecord, writeRecord } from './cni-state.ts';

export interface CniPluginIo {
  readonly env: EnvSource;
  /** The network configuration the runtime wrote on stdin. */
  readonly stdin: string;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface CniPluginDeps {
  readonly getPod: (kubeconfig: string, namespace: string, name: string) => Promise<PodShape>;
  readonly exec: Exec;
  readonly which: Which;
}

const DEFAULT_VERSION = '1.0.0';

export async function runCniPlugin(io: CniPluginIo, deps: CniPluginDeps): Promise<number> {
  let version = DEFAULT_VERSION;
  try {
    const env = parseCniEnv(io.env);
    if (env.command === 'VERSION') {
      io.stdout.write(
        `${JSON.stringify({ cniVersion: requestedVersion(io.stdin), supportedVersions: SUPPORTED_VERSIONS })}\n`,
      );
      return 0;
    }
    const config = parseCniConfig(io.stdin);
    version = config.cniVersion;
    const log = createLogger({
      config: { level: config.logLevel, format: 'json', trace: [] },
      name: 'cni',
      destination: io.stderr,
    }).child({ command: env.command, containerId: env.containerId, pod: podName(env) });
    switch (env.command) {
      case 'ADD':
        await add(env, config, deps, log);
        io.stdout.write(`${JSON.stringify(config.prevResult ?? { cniVersion: config.cniVersion })}\n`);
        return 0;
      case 'DEL':
        await del(env, config, deps, log);
        return 0;
      case 'CHECK':
        await check(env, config, deps, log);
        return 0;
      case 'GC':
        await gc(io.stdin, config, log);
        return 0;
      case 'STATUS':
        return 0;
    }
  } catch (err) {
    const e = asCniError(err);
    io.stdout.write(`${JSON.stringify(e.toResult(version))}\n`);
    return 1;
  }
}

async function add(env: CniEnv, config: CniConfig, deps: CniPluginDeps, log: Logger): Promise<void> {
  const namespace = env.args['K8S_POD_NAMESPACE'];
  const name = env.args['K8S_POD_NAME'];
  if (namespace === undefined || name === undefined) {
    log.info({ reason: 'CNI_ARGS has no K8S_POD_NAMESPACE and K8S_POD_NAME' }, 'not a Kubernetes pod; passing through');
    return;
  }
  if (config.kubeconfig === undefined) {
    throw new CniError(
      CNI_ERROR.invalidConfig,
      'network configuration field kubernetes.kubeconfig is missing; allowed: the path of the kubeconfig `nodemesh cni install` writes',
    );
  }
  let pod: PodShape;
  try {
    pod = await deps.getPod(config.kubeconfig, namespace, name);
  } catch (err) {
    throw err instanceof CniError ? err : new CniError(CNI_ERROR.podLookup, (err as Error).message, '', { cause: err });
  }
  const decision = podDecision(pod);
  if (!decision.intercept) {
    log.info({ reason: decision.reason }, 'pod not set up; passing through');
    return;
  }
  const netns = env.netns ?? '';
  const flags = podRules(config.rules, pod);
  const rules = proxyInitConfig(flags, netns);
  const plans = buildFirewallPlans(rules);
  if (config.simulate) {
    log.info({ rules: renderDryRun(plans) }, 'simulate: the rules that would be written');
    return;
  }
  const reports = await applyInterception(rules, plans, {
    ...deps,
    say: (line) => log.debug({ step: line }, 'firewall'),
  });
  await writeRecord(config.stateDir, {
    containerId: env.containerId ?? '',
    netns,
    pod: `${namespace}/${name}`,
    flags,
  });
  log.info(
    { netns, families: reports.map((r) => r.family), rules: reports.reduce((n, r) => n + r.rules, 0) },
    'iptables rules written in the pod network namespace',
  );
}

async function del(env: CniEnv, config: CniConfig, deps: CniPluginDeps, log: Logger): Promise<void> {
  const containerId = env.containerId ?? '';
  const record = await readRecord(config.stateDir, containerId);
  if (record === undefined) {
    log.debug('this plugin wrote no rules for the container; nothing to remove');
    return;
  }
  const netns = env.netns ?? record.netns;
  if (!existsSync(netns)) {
    log.info({ netns }, 'the network namespace is gone, and its rules with it');
    await removeRecord(config.stateDir, containerId);
    return;
  }
  const rules = proxyInitConfig(record.flags, netns);
  const reports = await removeInterception(rules, buildFirewallPlans(rules), {
    ...deps,
    say: (line) => log.debug({ step: line }, 'firewall'),
  });
  await removeRecord(config.stateDir, containerId);
  log.info(
    { netns, chains: reports.flatMap((r) => r.deletedChains), jumps: reports.reduce((n, r) => n + r.deletedJumps, 0) },
    'iptables rules removed from the pod network namespace',
  );
}

async function check(env: CniEnv, config: CniConfig, deps: CniPluginDeps, log: Logger): Promise<void> {
  const record = await readRecord(config.stateDir, env.containerId ?? '');
  if (record === undefined) {
    log.debug('this plugin wrote no rules for the container; nothing to check');
    return;
  }
  const rules = proxyInitConfig(record.flags, env.netns ?? record.netns);
  const problems = await checkInterception(rules, buildFirewallPlans(rules), deps);
  if (problems.length > 0) {
    throw new CniError(
      CNI_ERROR.rulesDiffer,
      `the pod's iptables rules are not what ADD wrote: ${problems.join('; ')}`,
    );
  }
}

/** GC: forget the records of containers the runtime no longer knows (their namespaces are gone). */
async function gc(stdin: string, config: CniConfig, log: Logger): Promise<void> {
  const raw = JSON.parse(stdin) as { 'cni.dev/valid-attachments'?: { containerID?: string }[] };
  const valid = new Set((raw['cni.dev/valid-attachments'] ?? []).map((a) => a.containerID));
  let names: string[];
  try {
    names = await readdir(config.stateDir);
  } catch {
    return; // no records at all
  }
  const stale = names
    .filter((n) => n.endsWith('.json'))
    .map((n) => path.basename(n, '.json'))
    .filter((id) => !valid.has(id));
  for (const id of stale) await removeRecord(config.stateDir, id);
  if (stale.length > 0) log.info({ removed: stale.length }, 'forgot records of containers that are gone');
}

function proxyInitConfig(flags: ProxyInitFlags, netns: string): ProxyInitConfig {
  return parseProxyInitConfig({}, { ...flags, netns });
}

function requestedVersion(stdin: string): string {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && SUPPORTED_VERSIONS.includes(v) ? v : DEFAULT_VERSION;
  } catch {
    return DEFAULT_VERSION;
  }
}

function podName(env: CniEnv): string | undefined {
  const ns = env.args['K8S_POD_NAMESPACE'];
  const name = env.args['K8S_POD_NAME'];
  return ns === undefined || name === undefined ? undefined : `${ns}/${name}`;
}

function asCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof ConfigError) {
    return new CniError(
      CNI_ERROR.invalidConfig,
      `the rules' settings are not valid (nodemesh block keys are proxy-init's flag names): ${err.message}`,
    );
  }
  if (err instanceof MeshError) return new CniError(CNI_ERROR.firewall, err.message, err.code);
  if (err instanceof SyntaxError) return new CniError(CNI_ERROR.decode, `stdin is not JSON: ${err.message}`);
  return new CniError(CNI_ERROR.io, err instanceof Error ? err.message : String(err));
}
