import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { catchError, catchRejection } from '../../testing/index.ts';
import { UsageError } from '../../errors/index.ts';
import { parse } from 'yaml';
import { FakeApiServer, type FakeObject } from '../../k8s/testing.ts';
import { parseServiceProfilesYaml, toDestinationProfile } from '../../profiles/index.ts';
import { parseRoute, type HttpRoute } from '../../routes/index.ts';
import { runSplit } from './split-command.ts';
import { parseSplitSpec } from './split-profile.ts';
import { runCommand } from '../../testing/index.ts';

const SHOP = fileURLToPath(new URL('../../../examples/local-mesh/shop.yaml', import.meta.url));

describe('parseSplitSpec', () => {
  test('names in the namespace become Service authorities; full authorities stay', () => {
    assert.deepEqual(parseSplitSpec('web-stable=90, web-canary=10', 'shop'), [
      { authority: 'web-stable.shop.svc.cluster.local', weight: '90' },
      { authority: 'web-canary.shop.svc.cluster.local', weight: '10' },
    ]);
    assert.deepEqual(parseSplitSpec('other.ns.svc.cluster.local:8080=500m', 'shop'), [
      { authority: 'other.ns.svc.cluster.local:8080', weight: '500m' },
    ]);
    assert.deepEqual(parseSplitSpec('none', 'shop'), []);
  });

  test('refuses what the destination service would refuse, saying what is allowed', () => {
    assert.match(catchError(() => parseSplitSpec('web=lots', 'shop'), UsageError).message, /the weight of web "lots"/);
    assert.match(catchError(() => parseSplitSpec('web', 'shop'), UsageError).message, /is not BACKEND=WEIGHT/);
    assert.match(catchError(() => parseSplitSpec('a=0,b=0', 'shop'), UsageError).message, /every weight is 0/);
  });
});

describe('nodemesh split on the local mesh', () => {
  let dir: string;
  let resources: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-split-'));
    resources = path.join(dir, 'resources');
    await mkdir(resources);
    await copyFile(SHOP, path.join(resources, 'shop.yaml'));
    const state = { components: [{ name: 'destination', pid: 1, log: '', addresses: { resources } }] };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  });

  after(() => rm(dir, { recursive: true, force: true }));

  async function split(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return runCommand(runSplit, argv, { cwd: dir });
  }

  test('shows no split for the demo Service', async () => {
    const r = await split(['web.shop', '--state-dir', '.']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /web\.shop\.svc\.cluster\.local: no split/);
  });

  test('sets a 90/10 canary step in the existing profile, keeping its routes and the other objects', async () => {
    const r = await split(['web.shop', '--state-dir', '.', '--set', 'web=90,web-canary=10']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: no Service web-canary\.shop\.svc\.cluster\.local in the local mesh/);
    assert.doesNotMatch(r.stderr, /Service web\.shop/);
    assert.match(r.stdout, /web-canary\.shop\.svc\.cluster\.local\s+10\s+10%/);
    assert.match(r.stdout, /web\.shop\.svc\.cluster\.local\s+90\s+90%/);
    const text = await readFile(path.join(resources, 'shop.yaml'), 'utf8');
    assert.match(text, /kind: EndpointSlice/, 'the other documents are still there');
    const docs = parseServiceProfilesYaml(text, 'shop.yaml', { otherKinds: 'skip' });
    const profile = docs.find((d) => d.ok);
    assert.ok(profile?.ok === true);
    // What the destination service will serve: the routes and the split.
    const wire = toDestinationProfile(profile.profile, {
      fqn: 'web.shop.svc.cluster.local',
      port: 80,
      clusterDomain: 'cluster.local',
    });
    assert.equal(wire.routes.length > 0, true);
    assert.deepEqual(
      wire.dstOverrides.map((d) => [d.authority, d.weight]),
      [
        ['web.shop.svc.cluster.local:80', 900_000],
        ['web-canary.shop.svc.cluster.local:80', 100_000],
      ],
    );
  });

  test('-o json shows the current split; --set none removes it', async () => {
    const shown = JSON.parse((await split(['web.shop', '--state-dir', '.', '-o', 'json'])).stdout) as {
      backends: { share: number }[];
    };
    assert.deepEqual(
      shown.backends.map((b) => b.share),
      [90, 10],
    );
    await split(['web.shop', '--state-dir', '.', '--set', 'none']);
    assert.match((await split(['web.shop', '--state-dir', '.'])).stdout, /no split/);
  });

  test('creates a profile for a Service that has none', async () => {
    const r = await split(['api.shop', '--state-dir', '.', '--set', 'api-v2=1']);
    assert.equal(r.code, 0, r.stderr);
    const text = await readFile(path.join(resources, 'split-api.shop.svc.cluster.local.yaml'), 'utf8');
    const [doc] = parseServiceProfilesYaml(text, 'split.yaml');
    assert.ok(doc?.ok === true, doc?.ok === false ? doc.error.message : '');
  });

  test('says what was wrong with the arguments or the mesh', async () => {
    const bad = await catchRejection(() => split(['web', '--state-dir', '.']), UsageError);
    assert.match(bad.message, /give the Service as NAME\.NAMESPACE/);
    const missing = await split(['web.shop', '--state-dir', 'nowhere']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no local mesh is running/);
  });
});

const CANARY_ROUTE = `# The catalog canary: x-canary requests to v2, the rest split by weight.
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: catalog-canary
  namespace: shop
spec:
  parentRefs:
    - { group: '', kind: Service, name: catalog, port: 80 }
  rules:
    - matches:
        - headers: [{ name: x-canary, value: 'true' }]
      backendRefs:
        - { name: catalog-v2, port: 80 }
    - backendRefs: # the default rule
        - { name: catalog-v1, port: 80, weight: 90 }
        - { name: catalog-v2, port: 80, weight: 10 }
`;

describe('nodemesh split on a Gateway API route', () => {
  let dir: string;
  let resources: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-split-route-'));
    resources = path.join(dir, 'resources');
    await mkdir(resources);
    await writeFile(path.join(resources, 'catalog-route.yaml'), CANARY_ROUTE);
    const state = { components: [{ name: 'destination', pid: 1, log: '', addresses: { resources } }] };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function split(argv: string[], env: Record<string, string> = {}) {
    return runCommand(runSplit, argv, { cwd: dir, env });
  }

  test("shows every rule of the Service's routes with its backends and shares", async () => {
    const r = await split(['catalog.shop', '--state-dir', '.']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /HTTPRoute shop\/catalog-canary\s+0\s+header x-canary=true\s+catalog-v2:80\s+1\s+100%/);
    assert.match(r.stdout, /HTTPRoute shop\/catalog-canary\s+1\s+everything\s+catalog-v1:80\s+90\s+90%/);
  });

  test('a canary step on a route with two rules needs --rule, then rewrites only that rule', async () => {
    const ambiguous = await catchRejection(
      () => split(['catalog.shop', '--state-dir', '.', '--set', 'catalog-v1=50,catalog-v2=50']),
      UsageError,
    );
    assert.match(ambiguous.message, /choose one with --rule N \(rules: 0 \[header x-canary=true\], 1 \[everything\]\)/);
    const r = await split(['catalog.shop', '--state-dir', '.', '--rule', '1', '--set', 'catalog-v1=50,catalog-v2=50']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /catalog-v1:80\s+50\s+50%/);
    const text = await readFile(path.join(resources, 'catalog-route.yaml'), 'utf8');
    assert.match(text, /^# The catalog canary/, 'comments kept');
    const parsed = parseRoute(parse(text) as unknown);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.message);
    assert.deepEqual(
      (parsed.route as HttpRoute).rules[1]?.backendRefs.map((b) => [b.name, b.weight]),
      [
        ['catalog-v1', 50],
        ['catalog-v2', 50],
      ],
    );
    const bad = await catchRejection(
      () => split(['catalog.shop', '--state-dir', '.', '--rule', '1', '--set', 'catalog-v1=0.5']),
      UsageError,
    );
    assert.match(bad.message, /must be an integer from 0 to 1000000/);
  });

  test('--kubernetes reads and replaces the route through the API', async () => {
    const api = new FakeApiServer();
    await api.start();
    try {
      const route = parse(CANARY_ROUTE) as FakeObject;
      api.add(route);
      const kubeconfig = path.join(dir, 'kubeconfig');
      await writeFile(kubeconfig, api.kubeConfig().exportConfig());
      const r = await split(['catalog.shop', '--kubernetes', '--rule', '1', '--set', 'catalog-v2=100,catalog-v1=0'], {
        KUBECONFIG: kubeconfig,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /catalog-v2:80\s+100\s+100%/);
      const res = await fetch(
        `${api.url}/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/catalog-canary`,
        {
          headers: { authorization: `Bearer ${api.bearerToken}` },
        },
      );
      const stored = (await res.json()) as { spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] } };
      assert.deepEqual(
        stored.spec.rules[1]?.backendRefs.map((b) => [b.name, b.weight]),
        [
          ['catalog-v2', 100],
          ['catalog-v1', 0],
        ],
      );

      // A ServiceProfile with dstOverrides wins over the route (ADR 0012), and is what --set edits.
      api.add({
        apiVersion: 'nodemesh.io/v1alpha2',
        kind: 'ServiceProfile',
        metadata: { name: 'catalog.shop.svc.cluster.local', namespace: 'shop' },
        spec: { dstOverrides: [{ authority: 'catalog-v1.shop.svc.cluster.local:80', weight: 1 }] },
      });
      const sp = await split(['catalog.shop', '--kubernetes', '--set', 'catalog-v1=80,catalog-v2=20'], {
        KUBECONFIG: kubeconfig,
      });
      assert.equal(sp.code, 0, sp.stderr);
      assert.match(sp.stdout, /catalog-v2\.shop\.svc\.cluster\.local\s+20\s+20%/);
    } finally {
      await api.close();
    }
  });
});
