import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { IdentityNameError, TlsKeyError } from '../tls/index.ts';
import { catchError } from '../testing/index.ts';
import { TokenExpiredError, TokenInvalidError, type TokenProblem } from './errors.ts';
import { signEs256 } from './jws-es256.ts';
import {
  generateLocalSigningKey,
  localTokenKeyId,
  localTokenKeys,
  localTokenKeysFromPem,
  type LocalSigningKey,
} from './local-token-key.ts';
import { mintLocalToken, verifyLocalToken } from './local-token.ts';

const now = new Date('2026-11-21T12:00:00Z');
const nowSeconds = now.getTime() / 1000;
let keyA: LocalSigningKey;
let keyB: LocalSigningKey;

before(async () => {
  [keyA, keyB] = await Promise.all([generateLocalSigningKey(), generateLocalSigningKey()]);
});

function mint(overrides: Partial<Parameters<typeof mintLocalToken>[0]> = {}): string {
  return mintLocalToken({ key: keyA.privateKeyPem, namespace: 'shop', serviceAccount: 'web', now, ...overrides });
}

function verify(token: string | Uint8Array, overrides: Partial<Parameters<typeof verifyLocalToken>[1]> = {}) {
  return verifyLocalToken(token, { publicKeys: [keyA.publicKeyPem], now, ...overrides });
}

function part(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString()) as Record<string, unknown>;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Claims as mintLocalToken writes them, for crafting tokens. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'nodemesh-local',
    sub: 'system:serviceaccount:shop:web',
    aud: ['identity.nodemesh.io'],
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 3600,
    jti: 'x',
    'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'web' } },
    ...overrides,
  };
}

/** A token signed by key A (or `signer`) over any header and claims. */
function craft(header: Record<string, unknown>, payload: Record<string, unknown>, signer = () => keyA): string {
  return signEs256(header, payload, createPrivateKey(signer().privateKeyPem));
}

describe('mintLocalToken', () => {
  test('writes a JWT that looks like a projected Kubernetes token', () => {
    const token = mint();
    assert.deepEqual(part(token, 0), { alg: 'ES256', typ: 'JWT', kid: keyA.kid });
    const { jti, ...rest } = part(token, 1);
    assert.match(String(jti), /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(rest, {
      iss: 'nodemesh-local',
      sub: 'system:serviceaccount:shop:web',
      aud: ['identity.nodemesh.io'],
      iat: nowSeconds,
      nbf: nowSeconds,
      exp: nowSeconds + 86_400,
      'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'web' } },
    });
  });

  test('signs with a raw r||s ES256 signature that WebCrypto verifies', async () => {
    const token = mint();
    const [header = '', payload = '', signature = ''] = token.split('.');
    const publicKey = await webcrypto.subtle.importKey(
      'spki',
      Buffer.from(keyA.publicKeyPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const ok = await webcrypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      publicKey,
      Buffer.from(signature, 'base64url'),
      Buffer.from(`${header}.${payload}`),
    );
    assert.equal(ok, true);
  });

  const refusals: [string, () => unknown, new (...args: never[]) => Error, RegExp][] = [
    ['a namespace that is not a DNS label', () => mint({ namespace: 'Shop' }), IdentityNameError, /namespace "Shop"/],
    [
      'a service account with a dot',
      () => mint({ serviceAccount: 'web.v2' }),
      IdentityNameError,
      /service account name/,
    ],
    ['a zero lifetime', () => mint({ lifetimeSeconds: 0 }), RangeError, /whole seconds from 1/],
    ['an empty audience', () => mint({ audience: [] }), RangeError, /audience/],
    [
      'an RSA key',
      () => mint({ key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }),
      TlsKeyError,
      /RSA 2048/,
    ],
    ['a public key', () => mint({ key: createPublicKey(keyA.publicKeyPem) }), TlsKeyError, /must be a private key/],
  ];
  for (const [name, fn, kind, message] of refusals) {
    test(`refuses ${name}`, () => assert.match(catchError(fn, kind).message, message));
  }
});

describe('verifyLocalToken', () => {
  test('accepts a fresh token and says whose it is and until when', () => {
    assert.deepEqual(verify(mint()), {
      namespace: 'shop',
      serviceAccount: 'web',
      expiresAt: new Date(now.getTime() + 86_400_000),
    });
  });

  type Options = Partial<Parameters<typeof verifyLocalToken>[1]>;
  const accepted: [string, () => string | Uint8Array, () => Options][] = [
    ['as bytes with the trailing newline of a token file', () => Buffer.from(`${mint()}\n`), () => ({})],
    [
      'signed by any of several trusted keys',
      () => mint({ key: keyB.privateKeyPem }),
      () => ({ publicKeys: [keyA.publicKeyPem, keyB.publicKeyPem] }),
    ],
    ['from a prepared key set', () => mint(), () => ({ publicKeys: localTokenKeys([keyA.publicKeyPem]) })],
    [
      'that expired within the leeway',
      () => mint({ lifetimeSeconds: 60, now: new Date(now.getTime() - 90_000) }),
      () => ({}),
    ],
    ['that starts within the leeway', () => mint({ now: new Date(now.getTime() + 30_000) }), () => ({})],
    [
      'with a single-string aud',
      () => craft({ alg: 'ES256', kid: keyA.kid }, claims({ aud: 'identity.nodemesh.io' })),
      () => ({}),
    ],
    [
      'for another audience when asked for it',
      () => mint({ audience: ['other', 'mine'] }),
      () => ({ audience: 'mine' }),
    ],
  ];
  for (const [name, token, options] of accepted) {
    test(`accepts a token ${name}`, () => assert.equal(verify(token(), options()).serviceAccount, 'web'));
  }

  const rejected: [string, () => string, TokenProblem, RegExp][] = [
    ['that is not three parts', () => 'abc.def', 'malformed', /three base64url parts/],
    ['with padding in a part', () => `${mint()}=`, 'malformed', /canonical unpadded base64url/],
    [
      'whose header is not JSON',
      () => `${Buffer.from('{').toString('base64url')}.e30.AA`,
      'malformed',
      /header is not JSON/,
    ],
    ['that is empty', () => '  \n', 'malformed', /empty/],
    ['larger than 16 KiB', () => 'a'.repeat(17_000), 'malformed', /16384 allowed/],
    [
      'with alg none',
      () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
      'unsupported-algorithm',
      /unsigned \(alg "none"\)/,
    ],
    [
      'with alg HS256 keyed by the public key (the confusion attack)',
      () => {
        const input = `${b64({ alg: 'HS256', kid: keyA.kid })}.${b64(claims())}`;
        return `${input}.${createHmac('sha256', keyA.publicKeyPem).update(input).digest('base64url')}`;
      },
      'unsupported-algorithm',
      /alg "HS256"/,
    ],
    ['with alg ES384', () => craft({ alg: 'ES384', kid: keyA.kid }, claims()), 'unsupported-algorithm', /ES256 only/],
    ['without a kid', () => craft({ alg: 'ES256' }, claims()), 'malformed', /no kid/],
    [
      'with a typ other than JWT',
      () => craft({ alg: 'ES256', typ: 'at+jwt', kid: keyA.kid }, claims()),
      'malformed',
      /typ/,
    ],
    [
      'with critical extensions',
      () => craft({ alg: 'ES256', kid: keyA.kid, crit: ['exp'] }, claims()),
      'malformed',
      /crit/,
    ],
    ['signed by a key it does not trust', () => mint({ key: keyB.privateKeyPem }), 'unknown-key', /does not trust/],
    [
      'whose claims were changed after signing',
      () => {
        const [header, , signature] = mint().split('.');
        return `${header}.${b64(claims({ sub: 'system:serviceaccount:shop:admin' }))}.${signature}`;
      },
      'bad-signature',
      /altered or signed by another key/,
    ],
    [
      'naming key A but signed by key B',
      () => craft({ alg: 'ES256', kid: keyA.kid }, claims(), () => keyB),
      'bad-signature',
      /does not verify/,
    ],
    ['with a truncated signature', () => mint().slice(0, -6), 'bad-signature', /does not verify/],
    [
      'from another issuer',
      () => craft({ alg: 'ES256', kid: keyA.kid }, claims({ iss: 'https://kubernetes.default.svc' })),
      'wrong-issuer',
      /not "nodemesh-local"/,
    ],
    ['for another audience', () => mint({ audience: 'other.example' }), 'wrong-audience', /not "identity.nodemesh.io"/],
    [
      'that is not valid yet',
      () => mint({ now: new Date(now.getTime() + 3_600_000) }),
      'not-yet-valid',
      /not valid before 2026-11-21T13:00:00.000Z/,
    ],
    [
      'whose subject is not a service account',
      () => craft({ alg: 'ES256', kid: keyA.kid }, claims({ sub: 'system:node:n1' })),
      'bad-subject',
      /not a service account/,
    ],
    [
      'whose kubernetes.io claim names someone else',
      () =>
        craft(
          { alg: 'ES256', kid: keyA.kid },
          claims({ 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'db' } } }),
        ),
      'bad-subject',
      /kubernetes.io claim/,
    ],
    ['without exp', () => craft({ alg: 'ES256', kid: keyA.kid }, claims({ exp: undefined })), 'malformed', /claim exp/],
  ];
  for (const [name, token, reason, message] of rejected) {
    test(`rejects a token ${name}`, () => {
      const err = catchError(() => verify(token()), TokenInvalidError);
      assert.equal(err.code, 'MESH_ERR_TOKEN_INVALID');
      assert.equal(err.reason, reason);
      assert.match(err.message, message);
    });
  }

  test('rejects an expired token with the time it expired and the command that mints a new one', () => {
    const token = mint({ lifetimeSeconds: 3600, now: new Date(now.getTime() - 2 * 3_600_000) });
    const err = catchError(() => verify(token), TokenExpiredError);
    assert.equal(err.code, 'MESH_ERR_TOKEN_EXPIRED');
    assert.deepEqual(err.expiresAt, new Date(now.getTime() - 3_600_000));
    assert.equal(
      err.message,
      'token for system:serviceaccount:shop:web expired at 2026-11-21T11:00:00.000Z (now 2026-11-21T12:00:00.000Z); ' +
        'mint a new one with `nodemesh identity token --sa web --ns shop`',
    );
  });

  test('never puts the token in a message', () => {
    const token = mint({ audience: 'other.example' });
    const err = catchError(() => verify(token), TokenInvalidError);
    assert.ok(!err.message.includes(token.split('.')[2] ?? '<none>'));
  });
});

describe('local token keys', () => {
  test('a key is named by the same kid from its private half, its public half and its PEM', () => {
    const privateKey = createPrivateKey(keyA.privateKeyPem);
    assert.equal(localTokenKeyId(privateKey), keyA.kid);
    assert.deepEqual([...localTokenKeys([keyA.publicKeyPem, keyA.privateKeyPem]).keys()], [keyA.kid]);
    assert.match(keyA.kid, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(keyA.kid, keyB.kid);
  });

  test('refuses keys that are not P-256 public keys in PEM', () => {
    assert.match(catchError(() => localTokenKeys(['not a key']), TlsKeyError).message, /key #1 could not be parsed/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    assert.match(catchError(() => localTokenKeys([rsa]), TlsKeyError).message, /ECDSA P-256/);
  });
});

describe('localTokenKeysFromPem', () => {
  test('reads every public key of a PEM file and ignores other blocks', () => {
    const text = `# keys\n${keyA.publicKeyPem}${keyB.publicKeyPem}`;
    assert.deepEqual([...localTokenKeysFromPem(text, 'keys.pem').keys()].sort(), [keyA.kid, keyB.kid].sort());
  });

  test('refuses a file with no public key, naming it', () => {
    const err = catchError(() => localTokenKeysFromPem(keyA.privateKeyPem, '/etc/keys.pem'), TlsKeyError);
    assert.match(err.message, /\/etc\/keys.pem holds no "-----BEGIN PUBLIC KEY-----" block/);
  });
});
