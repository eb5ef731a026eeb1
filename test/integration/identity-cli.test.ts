// `nodemesh identity init | issuer | inspect | token` as a person uses them.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyLocalToken } from '../../src/tokens/index.ts';
import { nodemesh } from '../support/processes.ts';

describe('nodemesh identity verbs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-idcli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('init writes an anchor and issuer, keys private, and refuses to overwrite them', async () => {
    const ca = path.join(dir, 'ca');
    const first = await nodemesh(['identity', 'init', '--dir', ca, '--trust-domain', 'example.org', '-o', 'json']);
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout) as { issuer: { subject: string }; anchor: { subject: string } };
    assert.equal(summary.anchor.subject, 'CN=root.nodemesh.example.org');
    assert.equal(summary.issuer.subject, 'CN=identity.nodemesh.example.org');
    assert.equal((await stat(path.join(ca, 'anchor.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(ca, 'issuer', 'key.pem'))).mode & 0o777, 0o600);
    const again = await nodemesh(['identity', 'init', '--dir', ca]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exist; pass --force to replace them/);
  });

  test('inspect describes the issuer and checks it against anchors', async () => {
    const ca = path.join(dir, 'ca');
    const good = await nodemesh([
      'identity',
      'inspect',
      path.join(ca, 'issuer', 'crt.pem'),
      '--anchors',
      path.join(ca, 'ca-bundle.crt'),
    ]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /Subject:\s+CN=identity\.nodemesh\.example\.org/);
    assert.match(good.stdout, /CA:\s+yes \(pathLen 0\)[\s\S]*Trusted:\s+yes, via CN=root\.nodemesh\.example\.org/);
    const other = path.join(dir, 'other');
    assert.equal((await nodemesh(['identity', 'init', '--dir', other])).code, 0);
    const bad = await nodemesh([
      'identity',
      'inspect',
      path.join(ca, 'issuer', 'crt.pem'),
      '--anchors',
      path.join(other, 'ca-bundle.crt'),
      '-o',
      'json',
    ]);
    assert.equal(bad.code, 1);
    const [description] = JSON.parse(bad.stdout) as { trust: { trusted: boolean } }[];
    assert.equal(description?.trust.trusted, false);
  });

  test('issuer makes a new issuer under the same anchor', async () => {
    const ca = path.join(dir, 'ca');
    const out = path.join(dir, 'next-issuer');
    const made = await nodemesh([
      'identity',
      'issuer',
      '--anchor-cert',
      path.join(ca, 'ca-bundle.crt'),
      '--anchor-key',
      path.join(ca, 'anchor.key'),
      '--out',
      out,
      '--trust-domain',
      'example.org',
      '--lifetime',
      '720h',
    ]);
    assert.equal(made.code, 0, made.stderr);
    const check = await nodemesh([
      'identity',
      'inspect',
      path.join(out, 'crt.pem'),
      '--anchors',
      path.join(ca, 'ca-bundle.crt'),
    ]);
    assert.equal(check.code, 0, check.stdout);
    const missing = await nodemesh(['identity', 'issuer', '--out', out]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--anchor-cert is required/);
  });

  test('token mints a JWT the local validator accepts, creating the key on request', async () => {
    const key = path.join(dir, 'signing.key');
    const minted = await nodemesh([
      'identity',
      'token',
      '--sa',
      'web',
      '--ns',
      'shop',
      '--key',
      key,
      '--create-key',
      '--lifetime',
      '1h',
    ]);
    assert.equal(minted.code, 0, minted.stderr);
    const claims = verifyLocalToken(minted.stdout.trim(), { publicKeys: [await readFile(`${key}.pub`, 'utf8')] });
    assert.equal(claims.namespace, 'shop');
    assert.equal(claims.serviceAccount, 'web');
    const noKey = await nodemesh([
      'identity',
      'token',
      '--sa',
      'web',
      '--ns',
      'shop',
      '--key',
      path.join(dir, 'absent.key'),
    ]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /cannot read the signing key .*--create-key/);
  });
});
