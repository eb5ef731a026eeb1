// The injector's contract with the proxy and proxy-init (controller/ may not import proxy/, so it
// is checked here): every environment variable the injector gives the proxy is one the proxy reads
// and accepts, every proxy-init flag is one proxy-init knows and accepts, and the allowed sets the
// injector checks annotations against are the proxy's own.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { describe, test } from 'node:test';
import { applyJsonPatch } from '../../src/json-patch/index.ts';
import * as proxyConfig from '../../proxy/config.ts';
import {
  IPTABLES_MODES as PROXY_INIT_MODES,
  PROXY_INIT_FLAGS,
  parseProxyInitConfig,
} from '../../proxy/init/proxy-init-config.ts';
import { decodePatch, reviewAdmission } from '../../controller/injector/admission.ts';
import { FIXTURES, testConfig } from '../../controller/injector/test-fixtures.ts';
import { INBOUND_POLICIES, IPTABLES_MODES } from '../../controller/injector/value-rules.ts';

interface Container {
  name: string;
  args: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
}

async function injectedContainers(fixture: string): Promise<Container[]> {
  const body = JSON.parse(await readFile(new URL(`requests/${fixture}.json`, FIXTURES), 'utf8')) as {
    request: { object: unknown };
  };
  const review = await reviewAdmission(body, {
    config: await testConfig(),
    namespaces: () => Promise.resolve({ labels: {}, annotations: { 'nodemesh.io/inject': 'enabled' } }),
  });
  const patch = decodePatch(review.response);
  assert.ok(patch !== undefined, 'the pod is injected');
  const pod = applyJsonPatch(body.request.object, patch) as {
    spec: { initContainers: Container[]; containers: Container[] };
  };
  return [...pod.spec.initContainers, ...pod.spec.containers];
}

/** The environment as the kubelet would give it: downward API values filled, $(VAR) expanded. */
function environment(container: Container): Record<string, string> {
  const downward: Record<string, string> = {
    _pod_name: 'web-1',
    _pod_ns: 'shop',
    _pod_nodeName: 'node-1',
    _pod_sa: 'web',
  };
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const value = e.value ?? downward[e.name] ?? '';
    env[e.name] = value.replaceAll(/\$\((\w+)\)/g, (_m, name: string) => env[name] ?? '');
  }
  return env;
}

describe('the injected proxy and proxy-init accept what the injector gives them', () => {
  for (const fixture of [
    'deployment-namespace-enabled',
    'pod-annotated-with-config',
    'v1beta1-ingress-namespace-label',
  ]) {
    test(`${fixture}: every NODEMESH_ variable is read by the proxy and parses`, async () => {
      const proxy = (await injectedContainers(fixture)).find((c) => c.name === 'nodemesh-proxy');
      assert.ok(proxy !== undefined);
      const env = environment(proxy);
      const known = new Set(
        Object.entries(proxyConfig)
          .filter(([k, v]) => k.startsWith('ENV_') && typeof v === 'string')
          .map(([, v]) => v as string),
      );
      for (const name of ['NODEMESH_LOG_LEVEL', 'NODEMESH_LOG_FORMAT']) known.add(name);
      const unknown = Object.keys(env).filter((k) => k.startsWith('NODEMESH_') && !known.has(k));
      assert.deepEqual(unknown, [], 'variables the proxy does not read');
      const config = proxyConfig.parseProxyConfig(env);
      assert.equal(config.identity?.localName, 'web.shop.serviceaccount.identity.nodemesh.cluster.local');
      assert.equal(config.adminListenAddr.port, 4191);
      assert.equal(config.destination.contextToken, '{"ns":"shop","nodeName":"node-1","pod":"web-1"}');
    });

    test(`${fixture}: the nodemesh-init args parse with proxy-init's own flags`, async () => {
      const init = (await injectedContainers(fixture)).find((c) => c.name === 'nodemesh-init');
      assert.ok(init !== undefined);
      assert.equal(init.args[0], 'proxy-init');
      const { values } = parseArgs({ args: init.args.slice(1), options: PROXY_INIT_FLAGS, strict: true });
      const config = parseProxyInitConfig({}, values);
      assert.equal(config.incomingProxyPort, 4143);
    });
  }

  test('the allowed inbound policies and iptables modes are the proxy’s own', () => {
    assert.deepEqual([...INBOUND_POLICIES], [...proxyConfig.INBOUND_POLICIES]);
    assert.deepEqual([...IPTABLES_MODES], [...PROXY_INIT_MODES]);
  });
});
