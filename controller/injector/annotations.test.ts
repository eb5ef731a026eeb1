import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { CONFIG_ANNOTATIONS, parseConfigAnnotations } from './annotations.ts';
import { AnnotationError } from './errors.ts';

const parse = (pod: Record<string, string>, namespace: Record<string, string> = {}) =>
  parseConfigAnnotations({ pod, namespace, namespaceName: 'shop' });

describe('config.nodemesh.io annotations', () => {
  const good: [string, string, Record<string, unknown>][] = [
    ['admin-port', '9991', { adminPort: 9991 }],
    ['skip-outbound-ports', '25, 443,8000-8010', { skipOutboundPorts: '25,443,8000-8010' }],
    ['skip-subnets', '10.0.0.0/8, fd00::/8', { skipSubnets: '10.0.0.0/8,fd00::/8' }],
    ['opaque-ports', 'mysql,3306,9000-9001', { opaquePorts: 'mysql,3306,9000-9001' }],
    ['proxy-cpu-limit', '500m', { cpuLimit: '500m' }],
    ['proxy-memory-request', '64Mi', { memoryRequest: '64Mi' }],
    ['proxy-version', '0.2.0', { version: '0.2.0' }],
    ['image-pull-policy', 'Always', { pullPolicy: 'Always' }],
    ['proxy-gid', '-1', { gid: -1 }],
    ['default-inbound-policy', 'deny', { defaultInboundPolicy: 'deny' }],
    ['proxy-await', 'disabled', { await: false }],
    ['proxy-enable-native-sidecar', 'false', { nativeSidecar: false }],
    ['shutdown-grace-period', '30s', { shutdownGracePeriod: '30s' }],
    ['proxy-admin-shutdown', 'enabled', { adminShutdown: true }],
    ['proxy-additional-env', '[{"name":"A","value":"1"}]', { additionalEnv: [{ name: 'A', value: '1' }] }],
  ];
  for (const [suffix, value, want] of good) {
    test(`reads ${suffix}: ${value}`, () => {
      assert.deepEqual(parse({ [`config.nodemesh.io/${suffix}`]: value }).overrides, want);
    });
  }

  const bad: [string, string, RegExp][] = [
    ['inbound-port', '0', /a port number 1-65535/],
    ['skip-inbound-ports', '80,http', /ports \(1-65535\) and ranges/],
    ['skip-subnets', '10.0.0.0', /"10\.0\.0\.0" is not a CIDR/],
    ['opaque-ports', '3306,-1', /container port names/],
    ['proxy-cpu-request', '', /a Kubernetes quantity/],
    ['proxy-image', 'ghcr.io/nodemesh/nodemesh:1.0@sha256:x', /without tag/],
    ['default-inbound-policy', 'audit', /one of all-unauthenticated/],
    ['proxy-log-level', 'warn,nodemesh=info', /one of trace, debug/],
    ['proxy-await', 'sometimes', /enabled or disabled/],
    ['proxy-wait-before-exit-seconds', '1.5', /whole number from 0 to 86400/],
    ['proxy-outbound-connect-timeout', '100', /a duration with units/],
    ['proxy-additional-env', '{"name":"A"}', /a list of EnvVar objects/],
  ];
  for (const [suffix, value, message] of bad) {
    test(`refuses ${suffix}: ${JSON.stringify(value)}, naming the annotation, value and what is allowed`, () => {
      assert.throws(
        () => parse({ [`config.nodemesh.io/${suffix}`]: value }),
        (err: unknown) =>
          err instanceof AnnotationError &&
          err.code === 'MESH_ERR_INJECT_ANNOTATION' &&
          err.message.includes(`config.nodemesh.io/${suffix} on the pod has value ${JSON.stringify(value)}`) &&
          message.test(err.message),
      );
    });
  }

  test('inherits the namespace’s config annotations unless the pod sets them, and checks them', () => {
    const parsed = parse(
      { 'config.nodemesh.io/proxy-log-level': 'warn' },
      {
        'config.nodemesh.io/proxy-log-level': 'debug',
        'config.nodemesh.io/proxy-cpu-request': '50m',
        'config.nodemesh.io/admission-webhooks': 'enabled',
        'other.io/x': 'y',
      },
    );
    assert.deepEqual(parsed.overrides, { logLevel: 'warn', cpuRequest: '50m' });
    assert.deepEqual(parsed.inherited, { 'config.nodemesh.io/proxy-cpu-request': '50m' });
    assert.throws(
      () => parse({}, { 'config.nodemesh.io/proxy-uid': 'root' }),
      /on the namespace shop has value "root"/,
    );
  });

  test('accepts the alpha prefix of wait-before-exit and warns about unknown config keys', () => {
    const parsed = parse({
      'config.alpha.nodemesh.io/proxy-wait-before-exit-seconds': '5',
      'config.nodemesh.io/proxy-log-levle': 'debug',
    });
    assert.deepEqual(parsed.overrides, { waitBeforeExitSeconds: 5 });
    assert.deepEqual(parsed.warnings, [
      'annotation config.nodemesh.io/proxy-log-levle on the pod is not one nodemesh reads; it has no effect',
    ]);
  });

  test('docs/injector.md lists every annotation', async () => {
    const doc = await readFile(new URL('../../docs/injector.md', import.meta.url), 'utf8');
    const missing = CONFIG_ANNOTATIONS.map((a) => a.name).filter((name) => !doc.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });
});
