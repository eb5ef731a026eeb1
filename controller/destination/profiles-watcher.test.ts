// ProfilesWatcher on a folder of YAML: primary (client namespace) and backup ServiceProfiles,
// invalid profiles treated as absent, opaque ports from the Service, suppression of repeats.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { DestinationProfile } from '../../src/api/index.ts';
import { ProfilesWatcher } from './profiles-watcher.ts';
import { TempFolderSource, serviceYaml, silentLog } from './test-fixtures.ts';

const OPTIONS = { clusterDomain: 'cluster.local', defaultOpaquePorts: [3306] };

function profileYaml(namespace: string, route: string, name = 'web.shop.svc.cluster.local'): string {
  return `apiVersion: nodemesh.io/v1alpha2
kind: ServiceProfile
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  routes:
    - name: ${route}
      condition: { method: GET, pathRegex: /books }
`;
}

const routes = (p: DestinationProfile | undefined): string[] =>
  (p?.routes ?? []).map((r) => r.metricsLabels['route'] ?? '');

function httpRouteYaml(name: string, parent: string, backend = 'web'): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: shop, creationTimestamp: '2026-01-01T00:00:00Z' }
spec:
  parentRefs: [{ group: '', kind: Service, name: ${parent}, port: 80 }]
  rules: [{ backendRefs: [{ name: ${backend}, port: 80 }] }]
`;
}

/** The `name@backend` of each gateway route of a profile. */
const gateway = (p: DestinationProfile | undefined): string[] =>
  (p?.gatewayRoutes ?? []).map((json) => {
    const r = JSON.parse(json) as {
      metadata: { name: string };
      spec: { rules: { backendRefs: { name: string }[] }[] };
    };
    return `${r.metadata.name}@${r.spec.rules[0]?.backendRefs[0]?.name ?? ''}`;
  });

describe('ProfilesWatcher', () => {
  let folder: TempFolderSource;
  let watcher: ProfilesWatcher;
  const offs: (() => void)[] = [];

  before(async () => {
    folder = await TempFolderSource.create();
    watcher = new ProfilesWatcher({ source: folder.source, log: silentLog }, OPTIONS);
    watcher.start();
    await folder.source.start();
  });
  after(async () => {
    watcher.close();
    await folder.close();
  });
  beforeEach(async () => {
    for (const off of offs.splice(0)) off();
    await folder.set({
      'web.yaml': serviceYaml({
        name: 'web',
        ports: [
          { name: 'http', port: 80 },
          { name: 'db', port: 3306 },
        ],
      }),
      'sp-shop.yaml': profileYaml('shop', 'backup-route'),
      'sp-client.yaml': undefined,
      'route-web.yaml': undefined,
      'route-other.yaml': undefined,
    });
    await watcher.flush();
  });

  function subscribe(clientNamespace: string | undefined, port = 80): DestinationProfile[] {
    const sent: DestinationProfile[] = [];
    offs.push(watcher.subscribe({ namespace: 'shop', name: 'web', port, clientNamespace }, (p) => sent.push(p)));
    return sent;
  }

  async function change(files: Readonly<Record<string, string | undefined>>): Promise<void> {
    await folder.set(files);
    await watcher.flush();
  }

  test("serves the Service namespace's profile with its FQN and parent", () => {
    const [p] = subscribe(undefined);
    assert.deepEqual(routes(p), ['backup-route']);
    assert.equal(p?.fullyQualifiedName, 'web.shop.svc.cluster.local');
    assert.equal(p?.opaqueProtocol, false);
    assert.equal(p?.parentRef?.kind?.$case, 'resource');
  });

  test("prefers the profile in the client's namespace, and falls back when it goes", async () => {
    const sent = subscribe('shopper');
    await change({ 'sp-client.yaml': profileYaml('shopper', 'primary-route') });
    await change({ 'sp-client.yaml': undefined });
    assert.deepEqual(sent.map(routes), [['backup-route'], ['primary-route'], ['backup-route']]);
  });

  test('treats an invalid profile as absent and serves the default profile', async () => {
    const sent = subscribe(undefined);
    await change({ 'sp-shop.yaml': profileYaml('shop', 'Bad Route Name With ::: ?').replace('GET', '42') });
    assert.equal(sent.length, 2);
    assert.deepEqual(routes(sent[1]), []);
    assert.equal(sent[1]?.fullyQualifiedName, 'web.shop.svc.cluster.local');
    assert.ok(sent[1]?.retryBudget !== undefined);
  });

  test('marks the default opaque ports, and the annotation replaces them', async () => {
    assert.equal(subscribe(undefined, 3306)[0]?.opaqueProtocol, true);
    const sent = subscribe(undefined, 80);
    await change({
      'web.yaml': serviceYaml({ name: 'web', annotations: { 'config.nodemesh.io/opaque-ports': '80' } }),
    });
    assert.deepEqual(
      sent.map((p) => p.opaqueProtocol),
      [false, true],
    );
  });

  test('does not send the same profile twice', async () => {
    const sent = subscribe(undefined);
    await change({ 'unrelated.yaml': serviceYaml({ name: 'other', clusterIP: '10.96.0.50' }) });
    await change({ 'sp-shop.yaml': `${profileYaml('shop', 'backup-route')}\n# a comment changes nothing\n` });
    assert.equal(sent.length, 1);
    await change({ 'unrelated.yaml': undefined });
  });

  test('serves the default profile for a Service that does not exist yet', () => {
    const sent: DestinationProfile[] = [];
    offs.push(
      watcher.subscribe({ namespace: 'shop', name: 'later', port: 80, clientNamespace: undefined }, (p) =>
        sent.push(p),
      ),
    );
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.fullyQualifiedName, 'later.shop.svc.cluster.local');
    assert.equal(sent[0]?.parentRef, undefined);
  });

  test('re-sends on a route added, edited and deleted; an unrelated route sends nothing', async () => {
    await change({ 'sp-shop.yaml': undefined });
    const sent = subscribe('shop');
    await change({ 'route-web.yaml': httpRouteYaml('web-split', 'web') });
    await change({ 'route-other.yaml': httpRouteYaml('other-split', 'other') });
    await change({ 'route-web.yaml': httpRouteYaml('web-split', 'web', 'web-v2') });
    await change({ 'route-other.yaml': httpRouteYaml('other-split', 'other', 'other-v2') });
    await change({ 'route-web.yaml': undefined });
    assert.deepEqual(sent.map(gateway), [[], ['web-split@web'], ['web-split@web-v2'], []]);
  });

  test('a route whose parentRef moves re-sends on both Services', async () => {
    await change({ 'sp-shop.yaml': undefined, 'route-web.yaml': httpRouteYaml('split', 'web') });
    const web = subscribe('shop');
    const other: DestinationProfile[] = [];
    offs.push(
      watcher.subscribe({ namespace: 'shop', name: 'other', port: 80, clientNamespace: 'shop' }, (p) => other.push(p)),
    );
    await change({ 'route-web.yaml': httpRouteYaml('split', 'other') });
    assert.deepEqual(web.map(gateway), [['split@web'], []]);
    assert.deepEqual(other.map(gateway), [[], ['split@web']]);
  });

  test('a ServiceProfile with routes hides the routes, and re-sends them when it goes', async () => {
    await change({ 'sp-shop.yaml': undefined, 'route-web.yaml': httpRouteYaml('web-split', 'web') });
    const sent = subscribe('shop');
    await change({ 'sp-shop.yaml': profileYaml('shop', 'backup-route') });
    await change({ 'sp-shop.yaml': undefined });
    assert.deepEqual(sent.map(gateway), [['web-split@web'], [], ['web-split@web']]);
    assert.deepEqual(sent.map(routes), [[], ['backup-route'], []]);
  });
});
