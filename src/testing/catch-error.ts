// Test helper: run `fn`, require it to throw an instance of `kind`, and return that error so the
// test can check its fields (node:assert's throws() returns nothing).

import assert from 'node:assert/strict';

export function catchError<E extends Error>(fn: () => unknown, kind: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof kind, `expected ${kind.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${kind.name} to be thrown, but nothing was thrown`);
}

/** The async form of catchError. */
export async function catchRejection<E extends Error>(
  fn: () => Promise<unknown>,
  kind: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof kind, `expected ${kind.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${kind.name} to be thrown, but nothing was thrown`);
}
