// Golden tests of the mutating webhook: each AdmissionReview in test/fixtures/injector/requests is
// answered by reviewAdmission and compared with test/fixtures/injector/golden/<name>.json (the
// response with its patch decoded). NODEMESH_UPDATE_GOLDEN=1 rewrites the golden files.
// Every patch is also applied and the patched Pod validated against the Kubernetes schema.

import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { format, resolveConfig } from 'prettier';
import { applyJsonPatch } from '../../src/json-patch/index.ts';
import { decodePatch, reviewAdmission, type AdmissionOutcome, type NamespaceLookup } from './admission.ts';
import type { NamespaceMetadata } from './decision.ts';
import { FIXTURES, testConfig, validatePod } from './test-fixtures.ts';
import type { Values } from './values-merge.ts';

const UPDATE = process.env['NODEMESH_UPDATE_GOLDEN'] === '1';
const REQUESTS = new URL('requests/', FIXTURES);
const GOLDEN = new URL('golden/', FIXTURES);

/** Values changed for one case (everything else is the chart's values.yaml). */
const OVERLAYS: Readonly<Record<string, Values>> = {
  'cni-mode': { cniEnabled: true },
};

async function namespaces(): Promise<NamespaceLookup> {
  const table = JSON.parse(await readFile(new URL('namespaces.json', FIXTURES), 'utf8')) as Record<
    string,
    NamespaceMetadata
  >;
  return (name) => Promise.resolve(table[name] ?? { labels: {}, annotations: {} });
}

/** Pretty JSON as the repository's prettier writes it (so `npm run lint` accepts the golden files). */
async function formatJson(file: URL, value: unknown): Promise<string> {
  const options = (await resolveConfig(file)) ?? {};
  return format(JSON.stringify(value), { ...options, parser: 'json', filepath: file.pathname });
}

describe('reviewAdmission golden files', async () => {
  const names = (await readdir(REQUESTS)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  const lookup = await namespaces();
  await mkdir(GOLDEN, { recursive: true });

  for (const name of names.sort()) {
    test(name, async () => {
      const request = JSON.parse(await readFile(new URL(`${name}.json`, REQUESTS), 'utf8')) as {
        apiVersion: string;
        request: { uid: string; object: unknown; kind: { kind: string } };
      };
      const outcomes: AdmissionOutcome[] = [];
      const config = await testConfig(OVERLAYS[name] ?? {});
      const review = await reviewAdmission(request, {
        config,
        namespaces: lookup,
        onOutcome: (o) => outcomes.push(o),
      });
      assert.equal(review.apiVersion, request.apiVersion);
      assert.equal(review.response.uid, request.request.uid);
      assert.equal(outcomes.length, 1);
      const patch = decodePatch(review.response);
      const { patch: _encoded, ...response } = review.response;
      const actual = { outcome: outcomes[0], response, patch: patch ?? null };

      const file = new URL(`${name}.json`, GOLDEN);
      if (UPDATE) await writeFile(file, await formatJson(file, actual));
      const expected = JSON.parse(await readFile(file, 'utf8').catch(() => 'null')) as unknown;
      assert.deepEqual(
        actual,
        expected,
        `golden ${name}.json differs; rerun with NODEMESH_UPDATE_GOLDEN=1 and review the diff`,
      );

      if (patch !== undefined && request.request.kind.kind === 'Pod') {
        const patched = applyJsonPatch(request.request.object, patch);
        await validatePod(patched);
      }
    });
  }
});

describe('reviewAdmission', () => {
  test('refuses a body that is not an AdmissionReview with MESH_ERR_ADMISSION_REVIEW', async () => {
    const config = await testConfig();
    const deps = { config, namespaces: () => Promise.resolve({ labels: {}, annotations: {} }) };
    const bodies: [unknown, RegExp][] = [
      ['text', /not a JSON object/],
      [{ apiVersion: 'v1', kind: 'AdmissionReview' }, /apiVersion "v1"/],
      [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /no request/],
      [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { kind: 'Pod' } } }, /uid/],
      [
        {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { uid: 'u', kind: { kind: 'Pod' }, operation: 'CREATE', namespace: 'x' },
        },
        /request.object is missing/,
      ],
    ];
    for (const [body, message] of bodies) {
      await assert.rejects(reviewAdmission(body, deps), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'MESH_ERR_ADMISSION_REVIEW');
        assert.match(err.message, message);
        return true;
      });
    }
  });

  test('passes a failed namespace lookup through for the server to answer 500', async () => {
    const config = await testConfig();
    const body = JSON.parse(await readFile(new URL('deployment-namespace-enabled.json', REQUESTS), 'utf8')) as unknown;
    const boom = new Error('apiserver unreachable');
    await assert.rejects(
      reviewAdmission(body, { config, namespaces: () => Promise.reject(boom) }),
      (err) => err === boom,
    );
  });

  test('the strict schema check finds an unknown field in an added container', async () => {
    const pod = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'nodemesh-proxy', image: 'x', securityContext: { runAsUsr: 1 } }] },
    };
    await assert.rejects(validatePod(pod), /spec\.containers\[0\]\.securityContext\.runAsUsr/);
  });
});
