import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { KubernetesApiError, httpStatusOf, kubernetesApiError } from './errors.ts';

describe('kubernetesApiError', () => {
  const status = JSON.stringify({
    kind: 'Status',
    code: 403,
    reason: 'Forbidden',
    message: 'tokenreviews is forbidden',
  });
  const refused = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  });
  const cases: [string, unknown, number | undefined, string][] = [
    [
      'an ApiException with a Status body gives its status and message',
      new ApiException(403, 'Unknown API Status Code!', status, {}),
      403,
      'Kubernetes API create TokenReview failed with HTTP 403: tokenreviews is forbidden',
    ],
    [
      'an ApiException without a body gives its status',
      new ApiException(401, 'Unauthorized', undefined, {}),
      401,
      'Kubernetes API create TokenReview failed with HTTP 401',
    ],
    [
      'a Watch error gives its statusCode',
      Object.assign(new Error('Gone'), { statusCode: 410 }),
      410,
      'Kubernetes API create TokenReview failed with HTTP 410',
    ],
    [
      'a refused connection names the system error',
      refused,
      undefined,
      'Kubernetes API create TokenReview got no answer (ECONNREFUSED)',
    ],
    [
      'anything else names the error',
      new Error('boom'),
      undefined,
      'Kubernetes API create TokenReview got no answer (Error: boom)',
    ],
  ];
  for (const [name, thrown, expectedStatus, message] of cases) {
    test(name, () => {
      const err = kubernetesApiError('create TokenReview', thrown);
      assert.ok(err instanceof KubernetesApiError);
      assert.equal(err.code, 'MESH_ERR_K8S_API');
      assert.equal(err.status, expectedStatus);
      assert.equal(err.message, message);
      assert.equal(err.cause, thrown);
      assert.equal(httpStatusOf(thrown), expectedStatus);
    });
  }
});
