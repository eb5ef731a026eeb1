import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../src/errors/index.ts';
import { FakeApiServer, simulatedTokenReviewer } from '../src/k8s/testing.ts';
import { createLogger } from '../src/log/index.ts';
import { catchRejection } from '../src/testing/index.ts';
import {
  TokenReviewError,
  generateLocalSigningKey,
  mintLocalToken,
  type LocalSigningKey,
} from '../src/tokens/index.ts';
import { kubeConfigFromEnv } from './token-validators-kubernetes.ts';
import { createTokenValidator } from './token-validators.ts';

const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });
const audience = 'identity.nodemesh.io';
let dir: string;
let key: LocalSigningKey;
let server: FakeApiServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodemesh-token-validators-'));
  key = await generateLocalSigningKey();
  server = new FakeApiServer({
    tokenReviewer: simulatedTokenReviewer(
      new Map([['bound-web', { username: 'system:serviceaccount:shop:web', audiences: [audience] }]]),
    ),
  });
  await server.start();
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('createTokenValidator', () => {
  test('local: verifies tokens with the public keys of the keys file', async () => {
    const file = join(dir, 'token-keys.pem');
    await writeFile(file, key.publicKeyPem);
    const validator = await createTokenValidator(
      { tokenValidator: 'local', tokenAudience: audience, localTokenKeysFile: file },
      { env: {}, log },
    );
    const token = mintLocalToken({ key: key.privateKeyPem, namespace: 'shop', serviceAccount: 'web' });
    assert.deepEqual(await validator.validate(token), { namespace: 'shop', serviceAccount: 'web' });
  });

  test('local: a keys file that cannot be read is a config error naming the setting', async () => {
    const err = await catchRejection(
      () =>
        createTokenValidator(
          { tokenValidator: 'local', tokenAudience: audience, localTokenKeysFile: join(dir, 'missing.pem') },
          { env: {}, log },
        ),
      ConfigError,
    );
    assert.match(err.message, /NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE has value ".*missing.pem" \(ENOENT\)/);
  });

  test('kubernetes: checks access, then reviews tokens through the API server', async () => {
    const reviewsBefore = server.accessReviews.length;
    const validator = await createTokenValidator(
      { tokenValidator: 'kubernetes', tokenAudience: audience, localTokenKeysFile: undefined },
      { env: {}, log, kubeConfig: server.kubeConfig() },
    );
    assert.equal(server.accessReviews.length, reviewsBefore + 1);
    assert.deepEqual(await validator.validate('bound-web'), { namespace: 'shop', serviceAccount: 'web' });
  });

  test('kubernetes: fails at start when TokenReviews are not allowed', async () => {
    server.setAccessReviewer(() => ({ allowed: false, reason: 'no rule' }));
    try {
      const err = await catchRejection(
        () =>
          createTokenValidator(
            { tokenValidator: 'kubernetes', tokenAudience: audience, localTokenKeysFile: undefined },
            { env: {}, log, kubeConfig: server.kubeConfig() },
          ),
        TokenReviewError,
      );
      assert.equal(err.reason, 'forbidden');
    } finally {
      server.setAccessReviewer(() => ({ allowed: true }));
    }
  });
});

describe('kubeConfigFromEnv', () => {
  test('loads the first file of KUBECONFIG', async () => {
    const file = join(dir, 'kubeconfig.yaml');
    await writeFile(file, server.kubeConfig().exportConfig());
    assert.equal(kubeConfigFromEnv({ KUBECONFIG: `${file}:/nope` }).getCurrentCluster()?.server, server.url);
  });

  test('without KUBECONFIG or a pod environment, says what to set', () => {
    assert.throws(
      () => kubeConfigFromEnv({}),
      (err) => err instanceof ConfigError && /TOKEN_VALIDATOR=local/.test(err.message),
    );
  });

  test('an unreadable KUBECONFIG is a config error', () => {
    assert.throws(() => kubeConfigFromEnv({ KUBECONFIG: join(dir, 'absent') }), ConfigError);
  });
});
