// The nodemesh-control-plane chart (ADR 0011), rendered without helm by scripts/helm-render:
// golden renders of the default and HA values, every object valid against the Kubernetes
// schemas, the values schema refusing bad values with clear messages, the nodemesh-config
// ConfigMap carrying exactly the ADR keys, and every variable the chart sets one the code reads
// (with a value the code accepts).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseDestinationConfig } from '../../controller/destination/config.ts';
import { parseIdentityConfig } from '../../identity/config.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import {
  buildRenderer,
  certSetFiles,
  CHARTS,
  checkGolden,
  find,
  maskGenerated,
  parseObjects,
  render,
  renderOk,
  REPO,
  writeTestCerts,
  type K8sObject,
  type TestCerts,
} from './chart-harness.ts';
import { validateObject } from './kube-validate.ts';

const CHART = 'nodemesh-control-plane';
const HA_VALUES = path.join(CHARTS, CHART, 'values-ha.yaml');
const built = await buildRenderer();
const skip = 'skip' in built ? built.skip : false;
const bin = 'bin' in built ? built.bin : '';

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  restartPolicy?: string;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  affinity?: {
    podAntiAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { topologyKey: string }[];
      preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: { topologyKey: string } }[];
    };
  };
}
interface DeploymentShape {
  spec: { replicas: number; template: { spec: PodSpec } };
}

function podSpec(obj: K8sObject): PodSpec {
  return (obj as unknown as DeploymentShape).spec.template.spec;
}

function allContainers(obj: K8sObject): Container[] {
  const spec = podSpec(obj);
  return [...(spec.initContainers ?? []), ...spec.containers];
}

function container(obj: K8sObject, name: string): Container {
  const found = allContainers(obj).find((c) => c.name === name);
  if (found === undefined) throw new Error(`${obj.metadata.name} has no container ${name}`);
  return found;
}

/** The environment a container sees: downward API fields filled in, $(VAR) expanded as the kubelet does. */
function containerEnv(
  c: Container,
  pod: { name: string; ns: string; node: string; sa: string },
): Record<string, string> {
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.ns,
    'spec.nodeName': pod.node,
    'spec.serviceAccountName': pod.sa,
  };
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef !== undefined) {
      const v = fields[e.valueFrom.fieldRef.fieldPath];
      assert.ok(v !== undefined, `${c.name}: unexpected fieldRef ${e.valueFrom.fieldRef.fieldPath}`);
      env[e.name] = v;
    } else {
      env[e.name] = (e.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m);
    }
  }
  return env;
}

/** Every `export const ENV_… = 'NAME'` value under a folder. */
function envConstants(dirs: readonly string[]): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        for (const m of readFileSync(full, 'utf8').matchAll(/export const ENV_\w+ = '([A-Z0-9_]+)'/g)) {
          if (m[1] !== undefined) names.add(m[1]);
        }
      }
    }
  };
  for (const d of dirs) walk(path.join(REPO, d));
  return names;
}

/** The ADR 0011 values keys the injector reads (top level, and under proxy and proxyInit). */
const ADR_TOP_KEYS = [
  'controlPlaneNamespace',
  'clusterDomain',
  'clusterNetworks',
  'identityTrustDomain',
  'identityTrustAnchorsPEM',
  'cniEnabled',
  'image',
  'proxy',
  'proxyInit',
];
const ADR_PROXY_KEYS = [
  'uid',
  'gid',
  'ports',
  'opaquePorts',
  'inboundConnectTimeout',
  'outboundConnectTimeout',
  'defaultInboundPolicy',
  'requireIdentityOnInboundPorts',
  'nativeSidecar',
  'await',
  'waitBeforeExitSeconds',
  'enableShutdownEndpoint',
  'shutdownGracePeriod',
  'logLevel',
  'logFormat',
  'nodeOptions',
  'resources',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'additionalEnv',
];
const ADR_PROXY_INIT_KEYS = [
  'iptablesMode',
  'ignoreInboundPorts',
  'ignoreOutboundPorts',
  'skipSubnets',
  'kubeAPIServerPorts',
  'runAsUser',
  'runAsGroup',
  'resources',
];

describe('nodemesh-control-plane chart', { skip }, () => {
  let certs: TestCerts;
  let defaults: K8sObject[];
  let ha: K8sObject[];
  let defaultStream: string;
  let haStream: string;

  before(async () => {
    certs = await writeTestCerts();
    [defaultStream, haStream] = await Promise.all([
      renderOk(bin, CHART, { setFiles: certSetFiles(certs) }),
      renderOk(bin, CHART, { setFiles: certSetFiles(certs), valuesFiles: [HA_VALUES] }),
    ]);
    defaults = parseObjects(defaultStream);
    ha = parseObjects(haStream);
  });
  after(async () => {
    await rm(certs.dir, { recursive: true, force: true });
  });

  test('the default render matches its golden file (generated certificates masked)', async () => {
    await checkGolden('control-plane-default.yaml', maskGenerated(defaultStream));
  });

  test('the HA render matches its golden file', async () => {
    await checkGolden('control-plane-ha.yaml', maskGenerated(haStream));
  });

  test('every rendered object is a valid Kubernetes object with no unknown field', () => {
    for (const obj of [...defaults, ...ha]) validateObject(obj);
    const kinds = new Set(defaults.map((o) => o.kind));
    for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'ConfigMap', 'Secret', 'ClusterRole']) {
      assert.ok(kinds.has(kind), `no ${kind} rendered`);
    }
  });

  test('the strict field check refuses a misspelt field', () => {
    const deployment = structuredClone(find(defaults, 'Deployment', 'nodemesh-identity'));
    const spec = podSpec(deployment);
    (spec.containers[0] as unknown as Record<string, unknown>).imagePulPolicy = 'Always';
    assert.throws(() => validateObject(deployment), /spec\.template\.spec\.containers\[0\]\.imagePulPolicy/);
  });

  test('names, services and webhooks are the ones ADR 0011 fixes', () => {
    for (const sa of ['nodemesh-identity', 'nodemesh-destination', 'nodemesh-proxy-injector']) {
      find(defaults, 'ServiceAccount', sa);
      find(defaults, 'Deployment', sa);
    }
    const ports = (name: string): unknown =>
      (find(defaults, 'Service', name).spec as { ports: { port: number; targetPort: number }[] }).ports.map((p) => [
        p.port,
        p.targetPort,
      ]);
    assert.deepEqual(ports('nodemesh-identity'), [[8080, 8080]]);
    assert.deepEqual(ports('nodemesh-identity-headless'), [[8080, 8080]]);
    assert.deepEqual(ports('nodemesh-dst'), [[8086, 8086]]);
    assert.deepEqual(ports('nodemesh-dst-headless'), [[8086, 8086]]);
    assert.deepEqual(ports('nodemesh-proxy-injector'), [[443, 8443]]);
    assert.equal((find(defaults, 'Service', 'nodemesh-dst-headless').spec as { clusterIP: string }).clusterIP, 'None');

    const mutating = find(defaults, 'MutatingWebhookConfiguration', 'nodemesh-proxy-injector-webhook-config');
    const [inject] = mutating.webhooks as {
      name: string;
      failurePolicy: string;
      clientConfig: { service: { name: string; path: string; port: number } };
      rules: { operations: string[]; resources: string[] }[];
      namespaceSelector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
      objectSelector: { matchExpressions: { key: string; operator: string }[] };
    }[];
    assert.ok(inject);
    assert.equal(inject.name, 'nodemesh-proxy-injector.nodemesh.io');
    assert.equal(inject.failurePolicy, 'Ignore');
    assert.deepEqual(inject.clientConfig.service, {
      name: 'nodemesh-proxy-injector',
      namespace: 'nodemesh',
      path: '/',
      port: 443,
    });
    assert.deepEqual(inject.rules[0]?.operations, ['CREATE']);
    assert.deepEqual(inject.rules[0]?.resources, ['pods', 'services']);
    assert.deepEqual(inject.namespaceSelector.matchExpressions, [
      { key: 'config.nodemesh.io/admission-webhooks', operator: 'NotIn', values: ['disabled'] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
    ]);
    assert.ok(
      inject.objectSelector.matchExpressions.some(
        (e) => e.key === 'nodemesh.io/control-plane-component' && e.operator === 'DoesNotExist',
      ),
    );

    const validating = find(defaults, 'ValidatingWebhookConfiguration', 'nodemesh-validator-webhook-config');
    const [validate] = validating.webhooks as {
      name: string;
      clientConfig: { service: { path: string } };
      rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
    }[];
    assert.ok(validate);
    assert.equal(validate.name, 'nodemesh-validator.nodemesh.io');
    assert.equal(validate.clientConfig.service.path, '/validate');
    assert.deepEqual(
      validate.rules.map((r) => [r.apiGroups, r.resources, r.operations]),
      [
        [['nodemesh.io'], ['serviceprofiles'], ['CREATE', 'UPDATE']],
        [['gateway.networking.k8s.io'], ['httproutes', 'grpcroutes'], ['CREATE', 'UPDATE']],
      ],
    );
  });

  test('the webhook caBundle is the CA that signed the serving certificate', async () => {
    const { X509Certificate } = await import('node:crypto');
    const secret = find(defaults, 'Secret', 'nodemesh-proxy-injector-k8s-tls') as K8sObject & {
      data: Record<string, string>;
    };
    const webhook = (
      find(defaults, 'MutatingWebhookConfiguration', 'nodemesh-proxy-injector-webhook-config').webhooks as {
        clientConfig: { caBundle: string };
      }[]
    )[0];
    assert.ok(webhook);
    const ca = new X509Certificate(Buffer.from(webhook.clientConfig.caBundle, 'base64'));
    const leaf = new X509Certificate(Buffer.from(secret.data['tls.crt'] ?? '', 'base64'));
    assert.ok(leaf.verify(ca.publicKey), 'the serving certificate is not signed by the caBundle CA');
    assert.match(leaf.subjectAltName ?? '', /DNS:nodemesh-proxy-injector\.nodemesh\.svc/);
  });

  test('RBAC is least privilege', () => {
    const rules = (kind: string, name: string): unknown =>
      (find(defaults, kind, name).rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).map((r) => [
        r.apiGroups,
        r.resources,
        r.verbs,
      ]);
    assert.deepEqual(rules('ClusterRole', 'nodemesh-nodemesh-identity'), [
      [['authentication.k8s.io'], ['tokenreviews'], ['create']],
    ]);
    assert.deepEqual(rules('ClusterRole', 'nodemesh-nodemesh-destination'), [
      [[''], ['services', 'pods'], ['list', 'watch']],
      [['discovery.k8s.io'], ['endpointslices'], ['list', 'watch']],
      [['nodemesh.io'], ['serviceprofiles'], ['list', 'watch']],
      [['gateway.networking.k8s.io'], ['httproutes', 'grpcroutes'], ['list', 'watch']],
      [['gateway.networking.k8s.io'], ['httproutes/status', 'grpcroutes/status'], ['update']],
    ]);
    assert.deepEqual(rules('Role', 'nodemesh-destination'), [
      [['coordination.k8s.io'], ['leases'], ['get', 'create', 'update']],
    ]);
    assert.equal(find(defaults, 'Role', 'nodemesh-destination').metadata.namespace, 'nodemesh');
    assert.deepEqual(rules('ClusterRole', 'nodemesh-nodemesh-proxy-injector'), [
      [[''], ['namespaces'], ['get']],
      [['', 'events.k8s.io'], ['events'], ['create']],
    ]);
    const roles = [...defaults.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')].map(
      (o) => o.metadata.name,
    );
    assert.deepEqual(roles.sort(), [
      'nodemesh-destination',
      'nodemesh-nodemesh-destination',
      'nodemesh-nodemesh-identity',
      'nodemesh-nodemesh-proxy-injector',
    ]);
  });

  test('HA: 3 replicas, anti-affinity per node (required) and zone (preferred), PDBs, Fail policy', () => {
    for (const name of ['nodemesh-identity', 'nodemesh-destination', 'nodemesh-proxy-injector']) {
      const d = find(ha, 'Deployment', name);
      assert.equal((d as unknown as DeploymentShape).spec.replicas, 3, name);
      const anti = podSpec(d).affinity?.podAntiAffinity;
      assert.deepEqual(
        anti?.requiredDuringSchedulingIgnoredDuringExecution?.map((t) => t.topologyKey),
        ['kubernetes.io/hostname'],
        name,
      );
      assert.deepEqual(
        anti?.preferredDuringSchedulingIgnoredDuringExecution?.map((t) => [t.weight, t.podAffinityTerm.topologyKey]),
        [[100, 'topology.kubernetes.io/zone']],
        name,
      );
      const pdb = find(ha, 'PodDisruptionBudget', name);
      assert.equal((pdb.spec as { maxUnavailable: number }).maxUnavailable, 1);
      for (const c of allContainers(d)) {
        const resources = (c as { resources?: { requests?: object; limits?: object } }).resources;
        if (c.name === 'nodemesh-init') continue;
        assert.ok(
          resources?.requests !== undefined && resources.limits !== undefined,
          `${name}/${c.name} has no requests and limits`,
        );
      }
    }
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      for (const o of ha.filter((x) => x.kind === kind)) {
        for (const w of o.webhooks as { failurePolicy: string }[]) assert.equal(w.failurePolicy, 'Fail');
      }
    }
    assert.equal(defaults.filter((o) => o.kind === 'PodDisruptionBudget').length, 0);
    assert.equal(podSpec(find(defaults, 'Deployment', 'nodemesh-identity')).affinity, undefined);
  });

  test("the injector's pods carry the checksum of nodemesh-config, so a changed default rolls them", async () => {
    const checksumOf = (objects: readonly K8sObject[]): string => {
      const d = find(objects, 'Deployment', 'nodemesh-proxy-injector') as K8sObject & {
        spec: { template: { metadata: { annotations: Record<string, string> } } };
      };
      return d.spec.template.metadata.annotations['checksum/config'] ?? '';
    };
    const cm = find(defaults, 'ConfigMap', 'nodemesh-config') as K8sObject & { data: { values: string } };
    assert.equal(checksumOf(defaults), createHash('sha256').update(cm.data.values.replace(/\n$/, '')).digest('hex'));
    const changed = parseObjects(
      await renderOk(bin, CHART, { setFiles: certSetFiles(certs), set: { 'proxy.logLevel': 'debug' } }),
    );
    assert.notEqual(checksumOf(changed), checksumOf(defaults));
  });

  test('nodemesh-config holds exactly the ADR 0011 keys, with the values.yaml defaults', () => {
    const cm = find(defaults, 'ConfigMap', 'nodemesh-config') as K8sObject & { data: { values: string } };
    const values = parseYaml(cm.data.values) as Record<string, unknown> & {
      proxy: Record<string, unknown>;
      proxyInit: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(values).sort(), [...ADR_TOP_KEYS].sort());
    assert.deepEqual(Object.keys(values.proxy).sort(), [...ADR_PROXY_KEYS].sort());
    assert.deepEqual(Object.keys(values.proxyInit).sort(), [...ADR_PROXY_INIT_KEYS].sort());
    assert.equal(values.controlPlaneNamespace, 'nodemesh');
    assert.equal(values.identityTrustAnchorsPEM, certs.anchorsPem);
    const chartValues = parseYaml(readFileSync(path.join(CHARTS, CHART, 'values.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    for (const key of ADR_TOP_KEYS.filter((k) => k !== 'controlPlaneNamespace' && k !== 'identityTrustAnchorsPEM')) {
      assert.deepEqual(values[key], chartValues[key], key);
    }
    const roots = find(defaults, 'ConfigMap', 'nodemesh-identity-trust-roots') as K8sObject & {
      data: Record<string, string>;
    };
    assert.equal(roots.data['ca-bundle.crt']?.trim(), certs.anchorsPem.trim());
  });

  test('every variable the chart sets is one the code reads, with a value it accepts', () => {
    const known = envConstants(['proxy', 'controller', 'identity', 'src']);
    const adr = readFileSync(path.join(REPO, 'docs/adr/0011-kubernetes-install.md'), 'utf8');
    for (const obj of [...defaults, ...ha].filter((o) => o.kind === 'Deployment')) {
      for (const c of allContainers(obj)) {
        const referenced = (c.env ?? []).map((e) => e.value ?? '').join('\n');
        for (const { name } of c.env ?? []) {
          if (name === 'NODE_OPTIONS') continue;
          if (name.startsWith('_pod_')) {
            assert.ok(referenced.includes(`$(${name})`), `${c.name}: ${name} is set but no variable uses it`);
            continue;
          }
          assert.ok(
            known.has(name) || (name === 'NODEMESH_INJECTOR_CONFIG' && adr.includes(name)),
            `${obj.metadata.name}/${c.name} sets ${name}, which no code reads`,
          );
        }
      }
    }
    const pod = { name: 'p-1', ns: 'nodemesh', node: 'node-1', sa: 'nodemesh-destination' };
    for (const objects of [defaults, ha]) {
      const destination = find(objects, 'Deployment', 'nodemesh-destination');
      const proxy = parseProxyConfig(containerEnv(container(destination, 'nodemesh-proxy'), pod));
      assert.equal(
        proxy.identity?.localName,
        'nodemesh-destination.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
      );
      assert.equal(
        proxy.identity?.svcName,
        'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
      );
      assert.deepEqual(proxy.identity?.svcAddr, {
        host: 'nodemesh-identity-headless.nodemesh.svc.cluster.local.',
        port: 8080,
      });
      assert.deepEqual(proxy.inboundPortsDisableProtocolDetection, [25, 587, 3306, 4444, 5432, 6379, 9300, 11211]);
      assert.equal(proxy.adminListenAddr.port, 4191);
      assert.equal(proxy.log.level, 'info');
      const dst = parseDestinationConfig(containerEnv(container(destination, 'destination'), pod));
      assert.equal(dst.controlNamespace, 'nodemesh');
      assert.equal(dst.listenAddr.port, 8086);
      const identity = parseIdentityConfig(
        containerEnv(container(find(objects, 'Deployment', 'nodemesh-identity'), 'identity'), pod),
      );
      assert.equal(identity.issuanceLifetimeMs, 24 * 3600 * 1000);
      assert.equal(identity.clockSkewAllowanceMs, 20_000);
      assert.equal(identity.tokenAudience, 'identity.nodemesh.io');
    }
    const nodeOptions = containerEnv(
      container(find(defaults, 'Deployment', 'nodemesh-destination'), 'destination'),
      pod,
    );
    assert.equal(nodeOptions.NODE_OPTIONS, '--max-semi-space-size=2');
  });

  test('the destination pod runs proxy-init and a native-sidecar proxy, with the API server ports skipped', () => {
    const spec = podSpec(find(defaults, 'Deployment', 'nodemesh-destination'));
    assert.deepEqual(
      spec.initContainers?.map((c) => [c.name, c.restartPolicy]),
      [
        ['nodemesh-init', undefined],
        ['nodemesh-proxy', 'Always'],
      ],
    );
    const args = spec.initContainers?.[0]?.args ?? [];
    assert.equal(args[0], 'proxy-init');
    assert.equal(args[args.indexOf('--outbound-ports-to-ignore') + 1], '4567,4568,443,6443');
    assert.equal(args[args.indexOf('--inbound-ports-to-ignore') + 1], '4190,4191,4567,4568');
    assert.deepEqual(
      spec.containers.map((c) => c.name),
      ['destination'],
    );
  });

  test('proxy.nativeSidecar=false puts the proxy first among the containers with a proxy-await hook; cniEnabled drops nodemesh-init', async () => {
    const objects = parseObjects(
      await renderOk(bin, CHART, {
        setFiles: certSetFiles(certs),
        set: { 'proxy.nativeSidecar': 'false', cniEnabled: 'true' },
      }),
    );
    const d = find(objects, 'Deployment', 'nodemesh-destination');
    validateObject(d);
    const spec = podSpec(d) as PodSpec & { volumes: { name: string }[] };
    assert.equal(spec.initContainers, undefined);
    assert.deepEqual(
      spec.containers.map((c) => c.name),
      ['nodemesh-proxy', 'destination'],
    );
    const hook = (spec.containers[0] as { lifecycle?: { postStart?: { exec: { command: string[] } } } }).lifecycle
      ?.postStart;
    assert.deepEqual(hook?.exec.command.slice(2), ['proxy-await', '--port', '4191', '--timeout', '2m']);
    assert.ok(!spec.volumes.some((v) => v.name === 'nodemesh-proxy-init-xtables-lock'));
  });

  test('NOTES.txt renders', async () => {
    const r = await render(bin, CHART, { setFiles: certSetFiles(certs), notes: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NOTES:\nnodemesh 0\.1\.0 control plane installed in namespace nodemesh/);
  });

  describe('the values schema refuses bad values with a clear message', () => {
    const cases: [string, string, RegExp][] = [
      [
        'wrong enum',
        'webhookFailurePolicy: Sometimes\n',
        /- webhookFailurePolicy: webhookFailurePolicy must be one of the following: "Ignore", "Fail"/,
      ],
      [
        'wrong type',
        'controllerReplicas: three\n',
        /- controllerReplicas: Invalid type\. Expected: integer, given: string/,
      ],
      ['unknown key', 'proxy:\n  logLevle: debug\n', /- proxy: Additional property logLevle is not allowed/],
      [
        'bad duration',
        'proxy:\n  outboundConnectTimeout: 1 second\n',
        /- proxy\.outboundConnectTimeout: Does not match pattern/,
      ],
      [
        'bad port list',
        'proxyInit:\n  ignoreInboundPorts: "25;80"\n',
        /- proxyInit\.ignoreInboundPorts: Does not match pattern/,
      ],
      [
        'bad iptables mode',
        'proxyInit:\n  iptablesMode: ebpf\n',
        /- proxyInit\.iptablesMode: proxyInit\.iptablesMode must be one of the following: "auto", "nft", "legacy"/,
      ],
    ];
    for (const [title, values, message] of cases) {
      test(title, async () => {
        const file = path.join(certs.dir, `${title.replace(/\W+/g, '-')}.yaml`);
        await writeFile(file, values);
        const r = await render(bin, CHART, { setFiles: certSetFiles(certs), valuesFiles: [file] });
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          /values don't meet the specifications of the schema\(s\) in the following chart\(s\):\nnodemesh-control-plane:/,
        );
        assert.match(r.stderr, message);
      });
    }

    test('missing trust anchors', async () => {
      const r = await render(bin, CHART, {});
      assert.equal(r.code, 1);
      assert.match(r.stderr, /- identityTrustAnchorsPEM: String length must be greater than or equal to 1/);
    });
  });

  test('a missing issuer certificate or key fails with how to create it', async () => {
    const r = await render(bin, CHART, { setFiles: { identityTrustAnchorsPEM: certs.anchorsFile } });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /identity\.issuer\.tls\.crtPEM is required: .*nodemesh identity init --dir certs.*--set-file identity\.issuer\.tls\.crtPEM=certs\/issuer\/crt\.pem/,
    );
    const noKey = await render(bin, CHART, {
      setFiles: { identityTrustAnchorsPEM: certs.anchorsFile, 'identity.issuer.tls.crtPEM': certs.issuerCrtFile },
    });
    assert.equal(noKey.code, 1);
    assert.match(
      noKey.stderr,
      /identity\.issuer\.tls\.keyPEM is required: .*--set-file identity\.issuer\.tls\.keyPEM=certs\/issuer\/key\.pem/,
    );
  });
});
