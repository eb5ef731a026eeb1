import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AuthorizationV1Api } from '@kubernetes/client-node';
import { KubernetesApiError } from '../src/k8s/index.ts';
import {
  API_SERVER_AUDIENCE,
  FakeApiServer,
  TOKEN_REVIEW_PATH,
  simulatedTokenReviewer,
  type FakeApiServerOptions,
  type SimulatedToken,
  type TokenReviewAnswer,
} from '../src/k8s/testing.ts';
import { catchRejection } from '../src/testing/index.ts';
import {
  TokenExpiredError,
  TokenInvalidError,
  TokenReviewError,
  type TokenProblem,
  type TokenReviewProblem,
} from '../src/tokens/index.ts';
import {
  KubernetesTokenValidator,
  checkTokenReviewAccess,
  type KubernetesTokenValidatorOptions,
} from './token-validator-kubernetes.ts';

const IDENTITY = 'identity.nodemesh.io';
const tokens = new Map<string, SimulatedToken>([
  ['bound-web', { username: 'system:serviceaccount:shop:web', audiences: [IDENTITY] }],
  ['legacy-web', { username: 'system:serviceaccount:shop:web', audiences: [API_SERVER_AUDIENCE] }],
  ['vault-web', { username: 'system:serviceaccount:shop:web', audiences: ['vault'] }],
  ['expired-web', { username: 'system:serviceaccount:shop:web', audiences: [IDENTITY], expired: true }],
  ['node', { username: 'system:node:worker-1', audiences: [IDENTITY] }],
  ['dotted', { username: 'system:serviceaccount:shop:web.v2', audiences: [IDENTITY] }],
]);

const closers: (() => Promise<void>)[] = [];
const hanging: (() => void)[] = [];
after(async () => {
  for (const release of hanging) release();
  for (const close of closers) await close();
});

async function setup(
  options: FakeApiServerOptions = { tokenReviewer: simulatedTokenReviewer(tokens) },
  validatorOptions: KubernetesTokenValidatorOptions = {},
) {
  const server = new FakeApiServer(options);
  await server.start();
  closers.push(() => server.close());
  const validator = KubernetesTokenValidator.fromKubeConfig(server.kubeConfig(), validatorOptions);
  return { server, validator };
}

/** A reviewer that answers only when the test ends. */
function hangingReviewer(): Promise<TokenReviewAnswer> {
  return new Promise((resolve) => hanging.push(() => resolve({ authenticated: false })));
}

describe('KubernetesTokenValidator', () => {
  test('gives the service account of an authenticated token, asking for the identity audience', async () => {
    const { server, validator } = await setup();
    assert.deepEqual(await validator.validate(Buffer.from('bound-web\n')), {
      namespace: 'shop',
      serviceAccount: 'web',
    });
    assert.deepEqual(server.tokenReviews, [
      { token: 'bound-web', audiences: [IDENTITY], bearerToken: server.bearerToken },
    ]);
  });

  test('retries once without audience when the API server refuses the audience, as Linkerd does', async () => {
    const { server, validator } = await setup();
    assert.deepEqual(await validator.validate('legacy-web'), { namespace: 'shop', serviceAccount: 'web' });
    assert.deepEqual(
      server.tokenReviews.map((r) => r.audiences),
      [[IDENTITY], []],
    );
  });

  const refusals: [string, string, KubernetesTokenValidatorOptions, TokenProblem, RegExp, number][] = [
    [
      'an unknown token',
      'forged',
      {},
      'rejected',
      /rejected the token: \[invalid bearer token, token not recognised\]/,
      1,
    ],
    [
      'a token for another audience, after the retry',
      'vault-web',
      {},
      'rejected',
      /token audiences \["vault"\] is invalid for the target audiences \["identity.nodemesh.io"\]/,
      2,
    ],
    [
      'an API-server token when the retry is turned off',
      'legacy-web',
      { retryWithoutAudience: false },
      'rejected',
      /is invalid for the target audiences/,
      1,
    ],
    [
      'a node token, naming its username',
      'node',
      {},
      'bad-subject',
      /username "system:node:worker-1", which is not a service account/,
      1,
    ],
    [
      'a service account that is not a DNS label',
      'dotted',
      {},
      'bad-subject',
      /"system:serviceaccount:shop:web.v2".*DNS-1123/,
      1,
    ],
  ];
  for (const [name, token, options, reason, message, reviews] of refusals) {
    test(`refuses ${name} as invalid`, async () => {
      const { server, validator } = await setup(undefined, options);
      const err = await catchRejection(() => validator.validate(token), TokenInvalidError);
      assert.equal(err.code, 'MESH_ERR_TOKEN_INVALID');
      assert.equal(err.reason, reason);
      assert.match(err.message, message);
      assert.equal(server.tokenReviews.length, reviews);
    });
  }

  test('refuses a review that is not authenticated and gives no reason', async () => {
    const { validator } = await setup({ tokenReviewer: () => ({ authenticated: false }) });
    const err = await catchRejection(() => validator.validate('t'), TokenInvalidError);
    assert.equal(err.reason, 'not-authenticated');
  });

  test('reports an expired token as expired', async () => {
    const { validator } = await setup();
    const err = await catchRejection(() => validator.validate('expired-web'), TokenExpiredError);
    assert.equal(err.code, 'MESH_ERR_TOKEN_EXPIRED');
    assert.match(err.message, /service account token has expired/);
  });

  test('refuses an empty token without asking the API server', async () => {
    const { server, validator } = await setup();
    const err = await catchRejection(() => validator.validate(new Uint8Array()), TokenInvalidError);
    assert.equal(err.reason, 'malformed');
    assert.equal(server.requestCount(TOKEN_REVIEW_PATH), 0);
  });

  const apiFailures: [string, (server: FakeApiServer) => Promise<void> | void, number | undefined, RegExp][] = [
    ['the API server answers 500', (s) => s.failNext(TOKEN_REVIEW_PATH, 500), 500, /HTTP 500/],
    [
      'the API server forbids TokenReviews (403)',
      (s) => s.setTokenReviewer(() => ({ httpStatus: 403, message: 'tokenreviews is forbidden' })),
      403,
      /tokenreviews is forbidden; grant the identity service the RBAC rule/,
    ],
    ['the identity service credentials are refused (401)', () => undefined, 401, /own credentials were refused/],
    ['the connection drops', (s) => s.failNext(TOKEN_REVIEW_PATH, 'drop'), undefined, /got no answer .*reachable/],
    ['the API server is down', (s) => s.close(), undefined, /got no answer \(ECONNREFUSED\)/],
  ];
  for (const [name, arrange, status, message] of apiFailures) {
    test(`reports that the token could not be reviewed when ${name}`, async () => {
      const server = new FakeApiServer({ tokenReviewer: simulatedTokenReviewer(tokens) });
      await server.start();
      closers.push(() => server.close());
      const kubeConfig = server.kubeConfig(status === 401 ? { bearerToken: 'revoked' } : {});
      const validator = KubernetesTokenValidator.fromKubeConfig(kubeConfig);
      await arrange(server);
      const err = await catchRejection(() => validator.validate('bound-web'), TokenReviewError);
      assert.equal(err.code, 'MESH_ERR_TOKEN_REVIEW');
      assert.equal(err.reason, 'api-error' satisfies TokenReviewProblem);
      assert.match(err.message, message);
      assert.ok(err.cause instanceof KubernetesApiError);
      assert.equal(err.cause.status, status);
    });
  }

  test('gives up after its timeout', async () => {
    const { validator } = await setup({ tokenReviewer: hangingReviewer }, { timeoutMs: 100 });
    const started = Date.now();
    const err = await catchRejection(() => validator.validate('bound-web'), TokenReviewError);
    assert.equal(err.reason, 'timeout');
    assert.match(err.message, /did not answer the TokenReview within 100 ms/);
    assert.ok(Date.now() - started < 5000);
  });

  test("rejects with the caller's abort reason when the caller aborts", async () => {
    const { server, validator } = await setup({ tokenReviewer: hangingReviewer });
    const controller = new AbortController();
    const pending = validator.validate('bound-web', controller.signal);
    for (let i = 0; i < 1000 && server.tokenReviews.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const reason = new Error('the proxy hung up');
    controller.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
  });

  test('refuses a timeout that is not positive', () => {
    assert.throws(
      () =>
        new KubernetesTokenValidator(
          { authentication: { createTokenReview: () => Promise.reject(new Error()) } },
          { timeoutMs: 0 },
        ),
      RangeError,
    );
  });
});

describe('checkTokenReviewAccess', () => {
  test('passes when the API server allows creating TokenReviews, and asks about exactly that', async () => {
    const { server } = await setup();
    await checkTokenReviewAccess({ authorization: server.kubeConfig().makeApiClient(AuthorizationV1Api) });
    assert.deepEqual(
      server.accessReviews.map((r) => r.resourceAttributes),
      [{ group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', verb: 'create' }],
    );
  });

  const failures: [string, FakeApiServerOptions['accessReviewer'], TokenReviewProblem, RegExp][] = [
    [
      'denied',
      () => ({ allowed: false, reason: 'no RBAC rule' }),
      'forbidden',
      /may not create TokenReviews \(no RBAC rule\); grant/,
    ],
    ['unanswerable', () => ({ httpStatus: 503, message: 'etcd is down' }), 'api-error', /HTTP 503: etcd is down/],
  ];
  for (const [name, accessReviewer, reason, message] of failures) {
    test(`fails with a TokenReviewError when access is ${name}`, async () => {
      const { server } = await setup({ ...(accessReviewer === undefined ? {} : { accessReviewer }) });
      const authorization = server.kubeConfig().makeApiClient(AuthorizationV1Api);
      const err = await catchRejection(() => checkTokenReviewAccess({ authorization }), TokenReviewError);
      assert.equal(err.reason, reason);
      assert.match(err.message, message);
    });
  }
});
