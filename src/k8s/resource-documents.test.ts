import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseResourceDocuments } from './resource-documents.ts';

const FILE = '/srv/mesh/shop.yaml';

/** "Kind namespace/name@line" for each object read. */
function summary(text: string): string[] {
  return parseResourceDocuments(text, FILE).objects.map(
    (o) => `${o.kind} ${o.object.metadata.namespace}/${o.object.metadata.name}@${o.line}`,
  );
}

describe('parseResourceDocuments', () => {
  test('reads every document of a multi-document file and defaults the namespace', () => {
    const text = [
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: web, namespace: shop}',
      '---',
      '# only a comment: ignored',
      '---',
      'apiVersion: nodemesh.io/v1alpha2',
      'kind: ServiceProfile',
      'metadata:',
      '  name: web.shop.svc.cluster.local',
      'spec: {routes: []}',
      '---',
      'apiVersion: gateway.networking.k8s.io/v1',
      'kind: HTTPRoute',
      'metadata: {name: web-split}',
      '',
    ].join('\n');
    assert.deepEqual(summary(text), [
      'Service shop/web@1',
      'ServiceProfile default/web.shop.svc.cluster.local@7',
      'HTTPRoute default/web-split@13',
    ]);
    const { objects, errors } = parseResourceDocuments(text, FILE);
    assert.deepEqual(errors, []);
    assert.ok(Object.isFrozen(objects[1]?.object.metadata));
    assert.deepEqual((objects[1]?.object as { spec?: unknown }).spec, { routes: [] });
  });

  test('unpacks kind: List (and <Kind>List) with each item located', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: v1',
      '  kind: Pod',
      '  metadata: {name: web-1, namespace: shop}',
      '  status: {podIP: 10.0.0.7}',
      '- apiVersion: discovery.k8s.io/v1',
      '  kind: EndpointSlice',
      '  metadata: {name: web-abc, namespace: shop}',
      '---',
      'apiVersion: v1',
      'kind: ServiceList',
      'items:',
      '- {apiVersion: v1, kind: Service, metadata: {name: api}}',
    ].join('\n');
    assert.deepEqual(summary(text), ['Pod shop/web-1@4', 'EndpointSlice shop/web-abc@8', 'Service default/api@15']);
  });

  test('reads YAML 1.1 as kubectl does: yes is a boolean', () => {
    const text = 'apiVersion: nodemesh.io/v1alpha2\nkind: ServiceProfile\nmetadata: {name: p}\nspec: {flag: yes}\n';
    const [profile] = parseResourceDocuments(text, FILE).objects;
    assert.deepEqual((profile?.object as { spec?: unknown }).spec, { flag: true });
  });

  const bad: { name: string; text: string; line: number; column: number; field: string | undefined; says: RegExp }[] = [
    {
      name: 'a YAML syntax error',
      text: 'apiVersion: v1\nkind: Service\nmetadata: {name: [x, y}\n',
      line: 3,
      column: 23,
      field: undefined,
      says: /YAML syntax error/,
    },
    {
      name: 'a duplicate key',
      text: 'apiVersion: v1\nkind: Service\nkind: Pod\nmetadata: {name: a}\n',
      line: 3,
      column: 1,
      field: undefined,
      says: /YAML syntax error: Map keys must be unique/,
    },
    {
      name: 'a missing apiVersion',
      text: 'kind: Service\nmetadata: {name: a}\n',
      line: 1,
      column: 1,
      field: 'apiVersion',
      says: /apiVersion is missing/,
    },
    {
      name: 'a missing kind',
      text: 'apiVersion: v1\nmetadata: {name: a}\n',
      line: 1,
      column: 1,
      field: 'kind',
      says: /kind is missing/,
    },
    {
      name: 'a missing metadata.name',
      text: 'apiVersion: v1\nkind: Service\nmetadata:\n  namespace: shop\n',
      line: 4,
      column: 3,
      field: 'metadata.name',
      says: /metadata\.name is missing/,
    },
    {
      name: 'no metadata at all',
      text: 'apiVersion: v1\nkind: Service\n',
      line: 1,
      column: 1,
      field: 'metadata.name',
      says: /metadata\.name is missing/,
    },
    {
      name: 'a name that is not a string',
      text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: [a]\n',
      line: 4,
      column: 9,
      field: 'metadata.name',
      says: /must be a string/,
    },
    {
      name: 'an unknown kind',
      text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
      line: 2,
      column: 7,
      field: 'kind',
      says: /kind "ConfigMap" is not one nodemesh reads \(Service, EndpointSlice, Pod, ServiceProfile, HTTPRoute, GRPCRoute\)/,
    },
    {
      name: 'a known kind under another apiVersion',
      text: 'apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nmetadata: {name: a}\n',
      line: 1,
      column: 13,
      field: 'apiVersion',
      says: /apiVersion "linkerd\.io\/v1alpha2" is not read for ServiceProfile; use "nodemesh\.io\/v1alpha2"/,
    },
    {
      name: 'a document that is not a mapping',
      text: '- a\n- b\n',
      line: 1,
      column: 1,
      field: undefined,
      says: /must be a mapping.*got a list/,
    },
    {
      name: 'a bad List item',
      text: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {namespace: a}\n',
      line: 6,
      column: 13,
      field: 'items[0].metadata.name',
      says: /items\[0\]\.metadata\.name is missing/,
    },
    {
      name: 'a List without items',
      text: 'apiVersion: v1\nkind: List\nitems: 3\n',
      line: 3,
      column: 8,
      field: 'items',
      says: /needs items to be a list/,
    },
  ];
  for (const c of bad) {
    test(`reports ${c.name} as one error with file, line, column and field`, () => {
      const good = 'apiVersion: v1\nkind: Service\nmetadata: {name: good}\n';
      const { objects, errors } = parseResourceDocuments(`${good}---\n${c.text}`, FILE);
      assert.deepEqual(
        objects.map((o) => o.object.metadata.name),
        ['good'],
        'the good document is still read',
      );
      assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
      const [err] = errors;
      const offset = 4; // the good document and its separator
      assert.deepEqual(
        [err?.file, err?.line, err?.column, err?.field, err?.code],
        [FILE, c.line + offset, c.column, c.field, 'MESH_ERR_RESOURCE_DOCUMENT'],
      );
      assert.match(err?.message ?? '', c.says);
      assert.ok(err?.message.startsWith(`${FILE}:${c.line + offset}:${c.column}: `), err?.message);
    });
  }

  test('a List with two bad items and one good one reports two errors and keeps the good item', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- {apiVersion: v1, kind: Secret, metadata: {name: s}}',
      '- {apiVersion: v1, kind: Service, metadata: {name: ok}}',
      '- {apiVersion: v1, kind: Service}',
    ].join('\n');
    const { objects, errors } = parseResourceDocuments(text, FILE);
    assert.deepEqual(
      objects.map((o) => o.object.metadata.name),
      ['ok'],
    );
    assert.deepEqual(
      errors.map((e) => `${e.line} ${e.field}`),
      ['4 items[0].kind', '6 items[2].metadata.name'],
    );
  });

  test('an empty file holds nothing and no error', () => {
    assert.deepEqual(parseResourceDocuments('', FILE), { objects: [], errors: [] });
    assert.deepEqual(parseResourceDocuments('# nothing\n---\n', FILE), { objects: [], errors: [] });
  });
});
