import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/errors/index.ts';
import { VERSION } from '../../src/version.ts';
import { loadChartValues, parseInjectorConfig } from './injector-config.ts';
import { testValues } from './test-fixtures.ts';
import { mergeValues } from './values-merge.ts';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.name}=${p.value ?? '<missing>'}: ${p.allowed}`);
  }
  return assert.fail('expected a ConfigError');
}

describe('parseInjectorConfig', () => {
  test("accepts the chart's values.yaml (with trust anchors and a namespace) and freezes the result", async () => {
    const config = parseInjectorConfig(await testValues());
    assert.equal(config.proxy.ports.admin, 4191);
    assert.equal(config.proxy.nativeSidecar, true);
    assert.equal(config.identityTrustDomain, 'cluster.local', '"" means the cluster domain');
    assert.equal(config.image.version, VERSION, '"" means this build');
    assert.ok(Object.isFrozen(config.proxy.resources.cpu));
  });

  test('reads a YAML text document too', async () => {
    const { stringify } = await import('yaml');
    const config = parseInjectorConfig(stringify(await testValues({ identityTrustDomain: 'example.org' })));
    assert.equal(config.identityTrustDomain, 'example.org');
  });

  test('names every missing key: the code holds no defaults', async () => {
    const values = await testValues({ proxy: { ports: { admin: null }, logLevel: null }, cniEnabled: null });
    assert.deepEqual(
      problems(() => parseInjectorConfig(values)).map((p) => p.split(':')[0]),
      ['cniEnabled=<missing>', 'proxy.ports.admin=<missing>', 'proxy.logLevel=<missing>'],
    );
  });

  test('names each bad value with what is allowed', async () => {
    const values = await testValues({
      clusterNetworks: '10.0.0.0/8,nope',
      image: { pullPolicy: 'Sometimes' },
      proxy: { uid: 'x', ports: { inbound: 70000 }, opaquePorts: '25,abc', resources: { cpu: { limit: 'lots' } } },
      proxyInit: { iptablesMode: 'ebpf' },
      identityTrustAnchorsPEM: 'not a pem',
    });
    assert.deepEqual(
      problems(() => parseInjectorConfig(values)),
      [
        'clusterNetworks=10.0.0.0/8,nope: CIDRs separated by commas, e.g. 10.0.0.0/8,fd00::/8, or ""',
        'identityTrustAnchorsPEM=not a pem: one or more PEM certificates (set it with --set-file, --values or nodemesh inject --trust-anchors)',
        'image.pullPolicy=Sometimes: one of Always, IfNotPresent, Never',
        'proxy.uid=x: a whole number from 0 to 2147483647',
        'proxy.ports.inbound=70000: a port number 1-65535',
        'proxy.opaquePorts=25,abc: ports (1-65535) and ranges separated by commas, e.g. 25,443,8000-8010, or ""',
        'proxy.resources.cpu.limit=lots: a Kubernetes quantity, e.g. 100m, 0.5, 64Mi, 1Gi, or "" for none',
        'proxyInit.iptablesMode=ebpf: one of auto, nft, legacy',
      ],
    );
  });

  test('refuses a document that is not a mapping', () => {
    assert.throws(() => parseInjectorConfig('- a\n- b\n'), /a YAML mapping/);
  });
});

describe('loadChartValues', () => {
  test('merges --values files over the chart the Helm way', async () => {
    const files: Record<string, string> = {
      'a.yaml': 'proxy:\n  logLevel: debug\n  resources: { cpu: { limit: "1" } }\n',
      'b.yaml': 'proxy:\n  additionalEnv: [{ name: X, value: "1" }]\n  resources: { cpu: { request: null } }\n',
    };
    const values = await loadChartValues(['a.yaml', 'b.yaml'], {
      read: (file) => {
        const text = typeof file === 'string' ? files[file] : undefined;
        return text === undefined
          ? import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8'))
          : Promise.resolve(text);
      },
    });
    const proxy = values['proxy'] as Record<string, unknown>;
    assert.equal(proxy['logLevel'], 'debug');
    assert.equal(proxy['uid'], 2102, 'untouched chart keys stay');
    assert.deepEqual((proxy['resources'] as Record<string, unknown>)['cpu'], { limit: '1' }, 'null deletes a key');
    assert.deepEqual(proxy['additionalEnv'], [{ name: 'X', value: '1' }]);
  });

  test('names a values file that cannot be read', async () => {
    await assert.rejects(loadChartValues(['/nonexistent/values.yaml']), /\/nonexistent\/values\.yaml is missing/);
  });

  test('mergeValues replaces lists and scalars and changes neither input', () => {
    const base = { a: { b: [1, 2], c: 1 }, d: 'x' };
    const overlay = { a: { b: [3] }, d: null };
    assert.deepEqual(mergeValues(base, overlay), { a: { b: [3], c: 1 } });
    assert.deepEqual(base, { a: { b: [1, 2], c: 1 }, d: 'x' });
  });
});
