import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyJsonPatch, jsonPointer, parsePointer, type JsonPatchOperation } from './index.ts';

describe('JSON Pointer', () => {
  test('escapes ~ and / in tokens and reads them back', () => {
    const pointer = jsonPointer('metadata', 'annotations', 'nodemesh.io/inject', 'a~b');
    assert.equal(pointer, '/metadata/annotations/nodemesh.io~1inject/a~0b');
    assert.deepEqual(parsePointer(pointer), ['metadata', 'annotations', 'nodemesh.io/inject', 'a~b']);
  });

  test('refuses a pointer without a leading slash or with a bad escape', () => {
    assert.equal(parsePointer('metadata'), undefined);
    assert.equal(parsePointer('/a~2'), undefined);
  });
});

describe('applyJsonPatch', () => {
  const cases: { name: string; doc: unknown; patch: JsonPatchOperation[]; want: unknown }[] = [
    {
      name: 'adds a member, an empty array, then appends and inserts into it',
      doc: { spec: {} },
      patch: [
        { op: 'add', path: '/spec/volumes', value: [] },
        { op: 'add', path: '/spec/volumes/-', value: 'b' },
        { op: 'add', path: '/spec/volumes/0', value: 'a' },
        { op: 'add', path: '/spec/volumes/2', value: 'c' },
      ],
      want: { spec: { volumes: ['a', 'b', 'c'] } },
    },
    {
      name: 'replaces, removes, moves and copies',
      doc: { a: 1, b: [1, 2, 3], c: { d: 'x' } },
      patch: [
        { op: 'replace', path: '/a', value: 2 },
        { op: 'remove', path: '/b/1' },
        { op: 'move', from: '/c/d', path: '/e' },
        { op: 'copy', from: '/e', path: '/f' },
        { op: 'test', path: '/b', value: [1, 3] },
      ],
      want: { a: 2, b: [1, 3], c: {}, e: 'x', f: 'x' },
    },
    {
      name: 'adds under a key holding a slash',
      doc: { metadata: { annotations: {} } },
      patch: [{ op: 'add', path: '/metadata/annotations/nodemesh.io~1inject', value: 'enabled' }],
      want: { metadata: { annotations: { 'nodemesh.io/inject': 'enabled' } } },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const before = structuredClone(c.doc);
      assert.deepEqual(applyJsonPatch(c.doc, c.patch), c.want);
      assert.deepEqual(c.doc, before, 'the input is not changed');
    });
  }

  const failures: { name: string; patch: JsonPatchOperation[]; message: RegExp }[] = [
    {
      name: 'a missing parent',
      patch: [{ op: 'add', path: '/x/y', value: 1 }],
      message: /operation 0 .*no member "x"/,
    },
    { name: 'an index past the end', patch: [{ op: 'add', path: '/list/3', value: 1 }], message: /out of range/ },
    { name: 'replacing a missing member', patch: [{ op: 'replace', path: '/nope', value: 1 }], message: /to replace/ },
    { name: 'a failed test', patch: [{ op: 'test', path: '/list/0', value: 9 }], message: /test failed/ },
  ];
  for (const f of failures) {
    test(`refuses ${f.name} with MESH_ERR_JSON_PATCH`, () => {
      assert.throws(
        () => applyJsonPatch({ list: [1] }, f.patch),
        (err: unknown) =>
          err instanceof Error &&
          (err as { code?: string }).code === 'MESH_ERR_JSON_PATCH' &&
          f.message.test(err.message),
      );
    });
  }
});
