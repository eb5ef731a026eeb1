import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { TlsKeyError } from './errors.ts';
import {
  assertP256,
  describeKey,
  exportPrivateKeyPem,
  exportPublicKeySpki,
  generateP256KeyPair,
  keysMatch,
  parsePrivateKeyPem,
} from './keys.ts';

describe('keys', () => {
  test('generates an ECDSA P-256 key pair', async () => {
    const { privateKey, publicKey } = await generateP256KeyPair();
    assert.equal(privateKey.asymmetricKeyType, 'ec');
    assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(describeKey(publicKey), 'ECDSA P-256');
    assert.equal(keysMatch(privateKey, publicKey), true);
  });

  test('exports PKCS#8 PEM that parses back to the same key', async () => {
    const { privateKey, publicKey } = await generateP256KeyPair();
    const pem = exportPrivateKeyPem(privateKey);
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    const parsed = parsePrivateKeyPem(pem);
    assert.equal(keysMatch(parsed, publicKey), true);
    assert.equal(keysMatch(parsed, exportPublicKeySpki(publicKey)), true);
  });

  test('parses a SEC1 "EC PRIVATE KEY" PEM', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    assert.equal(describeKey(parsePrivateKeyPem(sec1)), 'ECDSA P-256');
  });

  test('tells two different keys apart', async () => {
    const a = await generateP256KeyPair();
    const b = await generateP256KeyPair();
    assert.equal(keysMatch(a.privateKey, b.publicKey), false);
  });

  const wrongKeys: [string, () => string, RegExp][] = [
    [
      'refuses an RSA key',
      () =>
        generateKeyPairSync('rsa', { modulusLength: 1024 })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
      /is RSA 1024; nodemesh only uses ECDSA P-256/,
    ],
    [
      'refuses a P-384 key',
      () =>
        generateKeyPairSync('ec', { namedCurve: 'P-384' })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
      /is ECDSA P-384/,
    ],
    [
      'refuses an Ed25519 key',
      () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      /is Ed25519/,
    ],
  ];
  for (const [name, make, message] of wrongKeys) {
    test(name, () => {
      assert.throws(
        () => parsePrivateKeyPem(make(), 'issuer key file'),
        (err: unknown) =>
          err instanceof TlsKeyError &&
          err.code === 'MESH_ERR_TLS_KEY' &&
          err.reason === 'unsupported' &&
          message.test(err.message),
      );
    });
  }

  test('refuses garbage with a hint about the expected PEM block', () => {
    assert.throws(
      () => parsePrivateKeyPem('not a key', '/var/run/nodemesh/issuer/key.pem'),
      (err: unknown) =>
        err instanceof TlsKeyError &&
        err.reason === 'unparsable' &&
        err.message.includes('/var/run/nodemesh/issuer/key.pem') &&
        err.message.includes('BEGIN PRIVATE KEY'),
    );
  });

  test('refuses an encrypted key and says so', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encrypted = privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
      .toString();
    assert.throws(
      () => parsePrivateKeyPem(encrypted),
      (err: unknown) => err instanceof TlsKeyError && err.reason === 'unparsable' && /encrypted/.test(err.message),
    );
  });

  test('never puts key material in the message', () => {
    const pem = exportPrivateKeyPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const broken = pem.replace('-----END PRIVATE KEY-----', '');
    try {
      parsePrivateKeyPem(broken);
      assert.fail('expected an error');
    } catch (err) {
      const body = pem.split('\n')[1]!;
      assert.ok(!(err as Error).message.includes(body.slice(0, 20)));
    }
  });

  test('assertP256 accepts a public P-256 key and refuses an RSA one', () => {
    assert.doesNotThrow(() => assertP256(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey));
    assert.throws(() => assertP256(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey), TlsKeyError);
  });
});
