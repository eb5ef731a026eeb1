// The nodemesh-crds chart: the ServiceProfile CRD (serviceprofiles.nodemesh.io, v1alpha2) and,
// with installGatewayAPI, minimal HTTPRoute and GRPCRoute CRDs. Renders are golden, every CRD is a
// valid CustomResourceDefinition with a structural schema, and ServiceProfiles written the way
// src/profiles/profile-types.ts describes pass the schema with no field pruned.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  buildRenderer,
  checkGolden,
  find,
  parseObjects,
  render,
  renderOk,
  REPO,
  type K8sObject,
} from './chart-harness.ts';
import { validateObject } from './kube-validate.ts';

const CHART = 'nodemesh-crds';
const built = await buildRenderer();
const skip = 'skip' in built ? built.skip : false;
const bin = 'bin' in built ? built.bin : '';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  minimum?: number;
  maximum?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

interface CrdShape {
  spec: {
    group: string;
    names: { kind: string; plural: string; shortNames?: string[] };
    scope: string;
    versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: Schema } }[];
  };
}

/** Kubernetes' structural-schema rule: every node has a type, unless int-or-string or preserve-unknown. */
function assertStructural(schema: Schema, at: string): void {
  if (schema['x-kubernetes-int-or-string'] !== true && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
    assert.ok(schema.type !== undefined, `${at} has no type`);
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) assertStructural(child, `${at}.${name}`);
  if (schema.type === 'array') {
    assert.ok(schema.items !== undefined, `${at} is an array without items`);
    assertStructural(schema.items, `${at}[]`);
  }
}

/** What the API server would do with `value`: problems, including fields it would prune. */
function checkAgainst(schema: Schema, value: unknown, at: string, problems: string[]): void {
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value !== 'string' && !Number.isInteger(value)) problems.push(`${at}: not an int or string`);
    return;
  }
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const expected = schema.type;
  const ok =
    expected === undefined ||
    (expected === 'integer'
      ? Number.isInteger(value)
      : expected === 'number'
        ? typeof value === 'number'
        : expected === type);
  if (!ok) {
    problems.push(`${at}: expected ${expected}, got ${type}`);
    return;
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${at}: above ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((v, i) => checkAgainst(schema.items as Schema, v, `${at}[${i}]`, problems));
  }
  if (type === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) problems.push(`${at}.${r}: required`);
    if (schema['x-kubernetes-preserve-unknown-fields'] === true || schema.properties === undefined) return;
    for (const [k, v] of Object.entries(obj)) {
      const child = schema.properties[k];
      if (child === undefined) problems.push(`${at}.${k}: unknown field (would be pruned)`);
      else checkAgainst(child, v, `${at}.${k}`, problems);
    }
  }
}

const FULL_PROFILE = {
  apiVersion: 'nodemesh.io/v1alpha2',
  kind: 'ServiceProfile',
  metadata: { name: 'web.shop.svc.cluster.local', namespace: 'shop' },
  spec: {
    routes: [
      {
        name: 'GET /products',
        condition: { method: 'GET', pathRegex: '/products(/.*)?' },
        responseClasses: [{ condition: { status: { min: 500, max: 599 } }, isFailure: true }],
        isRetryable: true,
        timeout: '300ms',
      },
      {
        name: 'not health',
        condition: {
          all: [{ method: 'POST' }, { any: [{ pathRegex: '/a' }, { pathRegex: '/b' }] }],
          not: { pathRegex: '/health' },
        },
        responseClasses: [
          { condition: { any: [{ status: { min: 500, max: 503 } }], not: { status: { min: 504, max: 504 } } } },
        ],
      },
    ],
    retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: '10s' },
    dstOverrides: [
      { authority: 'web-v1.shop.svc.cluster.local:80', weight: '900m' },
      { authority: 'web-v2.shop.svc.cluster.local:80', weight: 1 },
    ],
    opaquePorts: ['3306', '4000-4100'],
  },
};

describe('nodemesh-crds chart', { skip }, () => {
  test('the default render is the ServiceProfile CRD alone, as golden', async () => {
    const stream = await renderOk(bin, CHART);
    await checkGolden('crds-default.yaml', stream);
    const objects = parseObjects(stream);
    assert.deepEqual(
      objects.map((o) => o.metadata.name),
      ['serviceprofiles.nodemesh.io'],
    );
  });

  test('installGatewayAPI adds HTTPRoute and GRPCRoute (v1), as golden', async () => {
    const stream = await renderOk(bin, CHART, { set: { installGatewayAPI: 'true' } });
    await checkGolden('crds-gateway-api.yaml', stream);
    const objects = parseObjects(stream);
    for (const [name, kind] of [
      ['httproutes.gateway.networking.k8s.io', 'HTTPRoute'],
      ['grpcroutes.gateway.networking.k8s.io', 'GRPCRoute'],
    ] as const) {
      const crd = find(objects, 'CustomResourceDefinition', name) as unknown as CrdShape;
      assert.equal(crd.spec.group, 'gateway.networking.k8s.io');
      assert.equal(crd.spec.names.kind, kind);
      assert.deepEqual(
        crd.spec.versions.map((v) => [v.name, v.served, v.storage]),
        [['v1', true, true]],
      );
    }
  });

  test('every CRD is a valid CustomResourceDefinition with a structural schema', async () => {
    const objects = parseObjects(await renderOk(bin, CHART, { set: { installGatewayAPI: 'true' } }));
    assert.equal(objects.length, 3);
    for (const obj of objects) {
      validateObject(obj);
      for (const v of (obj as unknown as CrdShape).spec.versions) {
        assertStructural(v.schema.openAPIV3Schema, `${obj.metadata.name}/${v.name}`);
      }
    }
  });

  test('the ServiceProfile CRD: nodemesh.io, v1alpha2 served and stored, namespaced, short name sp', async () => {
    const [crd] = parseObjects(await renderOk(bin, CHART)) as unknown as CrdShape[];
    assert.ok(crd);
    assert.equal(crd.spec.group, 'nodemesh.io');
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual(crd.spec.names, {
      plural: 'serviceprofiles',
      singular: 'serviceprofile',
      kind: 'ServiceProfile',
      listKind: 'ServiceProfileList',
      shortNames: ['sp'],
    });
    const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;
    assert.deepEqual(Object.keys(spec?.properties ?? {}), ['routes', 'retryBudget', 'dstOverrides', 'opaquePorts']);
    const route = spec?.properties?.routes?.items;
    assert.deepEqual(Object.keys(route?.properties ?? {}), [
      'name',
      'condition',
      'responseClasses',
      'isRetryable',
      'timeout',
    ]);
    assert.deepEqual(route?.required, ['name', 'condition']);
    assert.deepEqual(spec?.properties?.retryBudget?.required, ['retryRatio', 'minRetriesPerSecond', 'ttl']);
  });

  test('ServiceProfiles with every field, and the local mesh example, pass the schema unpruned', async () => {
    const [crd] = parseObjects(await renderOk(bin, CHART)) as unknown as CrdShape[];
    const schema = crd?.spec.versions[0]?.schema.openAPIV3Schema;
    assert.ok(schema);
    const examples = parseAllDocuments(readFileSync(path.join(REPO, 'examples/local-mesh/shop.yaml'), 'utf8'))
      .map((d) => d.toJS() as K8sObject)
      .filter((o) => o.kind === 'ServiceProfile');
    assert.ok(examples.length > 0);
    for (const profile of [FULL_PROFILE, ...examples]) {
      const problems: string[] = [];
      checkAgainst(schema, profile, profile.metadata.name, problems);
      assert.deepEqual(problems, []);
    }
    const bad: string[] = [];
    checkAgainst(
      schema,
      { ...FULL_PROFILE, spec: { routes: [{ name: 'x', condition: {}, timout: '1s' }] } },
      'bad',
      bad,
    );
    assert.deepEqual(bad, ['bad.spec.routes[0].timout: unknown field (would be pruned)']);
  });

  test('a wrong installGatewayAPI type is refused by the schema', async () => {
    const r = await render(bin, CHART, { set: { installGatewayAPI: 'yes' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /- installGatewayAPI: Invalid type\. Expected: boolean, given: string/);
  });
});
