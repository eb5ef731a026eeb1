import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { catchError, catchRejection } from '../../testing/index.ts';
import { UsageError } from '../../errors/index.ts';
import { parseServiceProfilesYaml, toDestinationProfile } from '../../profiles/index.ts';
import type { CommandContext } from '../command.ts';
import { runSplit } from './split-command.ts';
import { parseSplitSpec } from './split-profile.ts';

const SHOP = fileURLToPath(new URL('../../../examples/local-mesh/shop.yaml', import.meta.url));

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

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
    const out = collector();
    const err = collector();
    const ctx: CommandContext = {
      argv,
      env: {},
      stdout: out.stream,
      stderr: err.stream,
      signal: new AbortController().signal,
      program: 'nodemesh',
      cwd: dir,
      self: [process.execPath],
    };
    return { code: await runSplit(ctx), stdout: out.text(), stderr: err.text() };
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
