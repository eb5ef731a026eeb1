import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../src/errors/index.ts';
import { catchError } from '../src/testing/index.ts';
import {
  ENV_ADMIN_LISTEN_ADDR,
  ENV_DESTINATION_SVC_NAME,
  ENV_IDENTITY_DISABLED,
  ENV_IDENTITY_LOCAL_NAME,
  ENV_IDENTITY_SVC_ADDR,
  ENV_IDENTITY_SVC_NAME,
  ENV_IDENTITY_TRUST_ANCHORS,
  ENV_INBOUND_DEFAULT_POLICY,
  ENV_OUTBOUND_CONNECT_TIMEOUT,
  ENV_TAP_AUTHORIZED_IDENTITIES,
  ENV_TAP_MAX_RATE,
  ENV_TAP_MAX_SESSIONS,
  parseProxyConfig,
} from './config.ts';

const ANCHORS = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const IDENTITY_ENV = {
  [ENV_IDENTITY_TRUST_ANCHORS]: ANCHORS,
  [ENV_IDENTITY_SVC_ADDR]: 'nodemesh-identity-headless.nodemesh.svc.cluster.local.:8080',
  [ENV_IDENTITY_SVC_NAME]: 'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
  [ENV_IDENTITY_LOCAL_NAME]: 'web.shop.serviceaccount.identity.nodemesh.cluster.local',
};

describe('parseProxyConfig', () => {
  test('gives Linkerd defaults when only identity is set', () => {
    const config = parseProxyConfig(IDENTITY_ENV);
    assert.deepEqual(config.outboundListenAddrs, [{ host: '127.0.0.1', port: 4140 }]);
    assert.deepEqual(config.inboundListenAddr, { host: '0.0.0.0', port: 4143 });
    assert.equal(config.adminListenAddr.port, 4191);
    assert.equal(config.outboundConnectTimeoutMs, 1000);
    assert.equal(config.inboundConnectTimeoutMs, 100);
    assert.equal(config.inboundDetectTimeoutMs, 10_000);
    assert.equal(config.inboundDefaultPolicy, 'all-unauthenticated');
    assert.equal(config.shutdownEndpointEnabled, false);
    assert.equal(config.v8MemoryMode, 'bounded-growth');
    assert.equal(config.identity?.minRefreshMs, 10_000);
    assert.equal(config.identity?.svcAddr.port, 8080);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.identity));
  });

  test('names all three bad variables in one error', () => {
    const env = {
      ...IDENTITY_ENV,
      [ENV_ADMIN_LISTEN_ADDR]: 'localhost',
      [ENV_OUTBOUND_CONNECT_TIMEOUT]: '5',
      [ENV_INBOUND_DEFAULT_POLICY]: 'allow-all',
    };
    const err = catchError(() => parseProxyConfig(env), ConfigError);
    assert.deepEqual(
      err.problems.map((p) => p.name),
      [ENV_ADMIN_LISTEN_ADDR, ENV_OUTBOUND_CONNECT_TIMEOUT, ENV_INBOUND_DEFAULT_POLICY],
    );
    assert.equal(err.code, 'MESH_ERR_CONFIG');
    assert.match(err.message, /3 invalid settings/);
    assert.match(
      err.message,
      /NODEMESH_PROXY_ADMIN_LISTEN_ADDR has value "localhost"; allowed: an IP address and a port/,
    );
    assert.match(err.message, /NODEMESH_PROXY_OUTBOUND_CONNECT_TIMEOUT has value "5"; allowed: a duration with units/);
    assert.match(
      err.message,
      /NODEMESH_PROXY_INBOUND_DEFAULT_POLICY has value "allow-all"; allowed: one of all-unauthenticated, /,
    );
  });

  test('requires the identity settings unless identity is disabled', () => {
    const err = catchError(() => parseProxyConfig({}), ConfigError);
    assert.deepEqual(err.problems.map((p) => p.name).sort(), [
      ENV_IDENTITY_LOCAL_NAME,
      ENV_IDENTITY_SVC_ADDR,
      ENV_IDENTITY_SVC_NAME,
      ENV_IDENTITY_TRUST_ANCHORS,
    ]);
    const plain = parseProxyConfig({ [ENV_IDENTITY_DISABLED]: 'true' });
    assert.equal(plain.identity, undefined);
  });

  test('takes the destination identity name for TLS, and refuses a bad one or one without identity', () => {
    const name = 'nodemesh-destination.nodemesh.serviceaccount.identity.nodemesh.cluster.local';
    assert.equal(parseProxyConfig(IDENTITY_ENV).destination.svcName, '', 'plaintext by default');
    assert.equal(parseProxyConfig({ ...IDENTITY_ENV, [ENV_DESTINATION_SVC_NAME]: name }).destination.svcName, name);
    const bad = catchError(
      () => parseProxyConfig({ ...IDENTITY_ENV, [ENV_DESTINATION_SVC_NAME]: 'Destination:8086' }),
      ConfigError,
    );
    assert.equal(bad.problems[0]?.name, ENV_DESTINATION_SVC_NAME);
    const noIdentity = catchError(
      () => parseProxyConfig({ [ENV_IDENTITY_DISABLED]: 'true', [ENV_DESTINATION_SVC_NAME]: name }),
      ConfigError,
    );
    assert.match(
      noIdentity.message,
      /NODEMESH_PROXY_DESTINATION_SVC_NAME .*allowed: empty when NODEMESH_PROXY_IDENTITY_DISABLED=true/,
    );
  });

  test('refuses trust anchors that are not PEM', () => {
    const err = catchError(
      () => parseProxyConfig({ ...IDENTITY_ENV, [ENV_IDENTITY_TRUST_ANCHORS]: 'not a certificate' }),
      ConfigError,
    );
    assert.equal(err.problems[0]?.name, ENV_IDENTITY_TRUST_ANCHORS);
  });
  test('takes the tap settings, with defaults, and names each bad one', () => {
    const config = parseProxyConfig(IDENTITY_ENV);
    assert.deepEqual(config.controlListenAddr, { host: '0.0.0.0', port: 4190 });
    assert.deepEqual([config.tapMaxRate, config.tapMaxSessions, config.tapAuthorizedIdentities], [1000, 10, []]);
    const ops = 'ops.tools.serviceaccount.identity.nodemesh.cluster.local';
    const set = parseProxyConfig({
      ...IDENTITY_ENV,
      [ENV_TAP_MAX_RATE]: '50',
      [ENV_TAP_MAX_SESSIONS]: '0',
      [ENV_TAP_AUTHORIZED_IDENTITIES]: ` ${ops} ,viz.tools.serviceaccount.identity.nodemesh.cluster.local`,
    });
    assert.deepEqual(
      [set.tapMaxRate, set.tapMaxSessions, set.tapAuthorizedIdentities],
      [50, 0, [ops, 'viz.tools.serviceaccount.identity.nodemesh.cluster.local']],
    );
    const err = catchError(
      () =>
        parseProxyConfig({
          ...IDENTITY_ENV,
          [ENV_TAP_MAX_RATE]: '0',
          [ENV_TAP_MAX_SESSIONS]: 'many',
          [ENV_TAP_AUTHORIZED_IDENTITIES]: `${ops},Not An Identity`,
        }),
      ConfigError,
    );
    assert.deepEqual(
      err.problems.map((p) => p.name),
      [ENV_TAP_MAX_RATE, ENV_TAP_MAX_SESSIONS, ENV_TAP_AUTHORIZED_IDENTITIES],
    );
    assert.match(err.message, /NODEMESH_PROXY_TAP_MAX_RATE has value "0"; allowed: an integer from 1 to 1000000/);
    assert.match(err.message, /"Not An Identity" is not an identity name/);
    const plaintext = catchError(
      () => parseProxyConfig({ [ENV_IDENTITY_DISABLED]: 'true', [ENV_TAP_AUTHORIZED_IDENTITIES]: ops }),
      ConfigError,
    );
    assert.match(
      plaintext.message,
      /NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES .*allowed: empty when NODEMESH_PROXY_IDENTITY_DISABLED=true/,
    );
  });
});
