import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { editHeaderRecord, editRawHeaders, editRequestHeaders, type HeaderEdit } from './header-edit.ts';

const edit: HeaderEdit = {
  set: [{ name: 'X-Env', value: 'canary' }],
  add: [{ name: 'x-tag', value: 'b' }],
  remove: ['X-Secret'],
};

describe('header edits', () => {
  test('request headers: set replaces, add appends with a comma, remove deletes; the input is kept', () => {
    const input = { 'x-env': 'prod', 'x-tag': 'a', 'x-secret': 'pw', other: '1' };
    const out = editRequestHeaders(input, [edit]);
    assert.deepEqual(out, { 'x-env': 'canary', 'x-tag': 'a,b', other: '1' });
    assert.equal(input['x-secret'], 'pw');
  });

  test('no edits return the same object', () => {
    const input = { a: '1' };
    assert.equal(editRequestHeaders(input, []), input);
    assert.equal(editHeaderRecord(input, []), input);
  });

  test('a raw HTTP/1 list keeps other names as sent and adds absent ones', () => {
    const out = editRawHeaders(['X-Env', 'prod', 'X-Secret', 'pw', 'Content-Type', 'text/plain'], [edit]);
    assert.deepEqual(out, ['Content-Type', 'text/plain', 'x-env', 'canary', 'x-tag', 'b']);
  });

  test('a record gains an added value next to an array', () => {
    assert.deepEqual(editHeaderRecord({ 'x-tag': ['a', 'c'] }, [edit]), {
      'x-tag': ['a', 'c', 'b'],
      'x-env': 'canary',
    });
  });
});
