import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { catchRejection } from '../src/testing/index.ts';
import {
  TokenExpiredError,
  TokenInvalidError,
  generateLocalSigningKey,
  mintLocalToken,
  type LocalSigningKey,
} from '../src/tokens/index.ts';
import { LocalTokenValidator } from './token-validator-local.ts';

const start = new Date('2026-11-21T12:00:00Z');
let key: LocalSigningKey;
let otherKey: LocalSigningKey;

before(async () => {
  [key, otherKey] = await Promise.all([generateLocalSigningKey(), generateLocalSigningKey()]);
});

function mint(signer = key, audience?: string): Buffer {
  const token = mintLocalToken({
    key: signer.privateKeyPem,
    namespace: 'shop',
    serviceAccount: 'web',
    lifetimeSeconds: 3600,
    now: start,
    ...(audience === undefined ? {} : { audience }),
  });
  return Buffer.from(`${token}\n`);
}

describe('LocalTokenValidator', () => {
  test('gives the service account of a minted token, and nothing else', async () => {
    const validator = new LocalTokenValidator({ now: () => start }, { publicKeys: [key.publicKeyPem] });
    const result = await validator.validate(mint());
    assert.deepEqual(result, { namespace: 'shop', serviceAccount: 'web' });
    assert.ok(Object.isFrozen(result));
    assert.deepEqual(validator.keyIds, [key.kid]);
  });

  test('reads the time from its clock', async () => {
    let now = start;
    const validator = new LocalTokenValidator({ now: () => now }, { publicKeys: [key.publicKeyPem] });
    const token = mint();
    assert.equal((await validator.validate(token)).serviceAccount, 'web');
    now = new Date(start.getTime() + 2 * 3_600_000);
    const err = await catchRejection(() => validator.validate(token), TokenExpiredError);
    assert.match(err.message, /expired at 2026-11-21T13:00:00.000Z/);
  });

  const cases: [string, () => LocalTokenValidator, () => Buffer, string | undefined][] = [
    [
      'accepts tokens of every trusted key (rotation)',
      () => validator([key, otherKey]),
      () => mint(otherKey),
      undefined,
    ],
    ['refuses a token of a key it does not trust', () => validator([key]), () => mint(otherKey), 'unknown-key'],
    ['refuses a token for another audience', () => validator([key]), () => mint(key, 'vault'), 'wrong-audience'],
    [
      'accepts its own configured audience',
      () => validator([key], 'identity.test'),
      () => mint(key, 'identity.test'),
      undefined,
    ],
    [
      'refuses a default-audience token when configured for another',
      () => validator([key], 'identity.test'),
      () => mint(),
      'wrong-audience',
    ],
  ];
  for (const [name, make, token, reason] of cases) {
    test(name, async () => {
      if (reason === undefined) {
        assert.equal((await make().validate(token())).namespace, 'shop');
      } else {
        const err = await catchRejection(() => make().validate(token()), TokenInvalidError);
        assert.equal(err.reason, reason);
      }
    });
  }

  test('rejects with the abort reason when the signal is already aborted', async () => {
    const reason = new Error('client went away');
    await assert.rejects(validator([key]).validate(mint(), AbortSignal.abort(reason)), (err) => err === reason);
  });
});

function validator(keys: LocalSigningKey[], audience?: string): LocalTokenValidator {
  return new LocalTokenValidator(
    { now: () => start },
    { publicKeys: keys.map((k) => k.publicKeyPem), ...(audience === undefined ? {} : { audience }) },
  );
}
