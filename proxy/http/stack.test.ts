import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callInner, rejection, type HttpOutcome, type HttpRequest, type HttpService } from './stack.ts';

const req = {} as HttpRequest;
const ok: HttpOutcome = { status: 200, grpcStatus: undefined, committed: true };

test("callInner returns the inner service's own promise", async () => {
  const p = Promise.resolve(ok);
  const inner: HttpService = () => p;
  assert.equal(callInner(inner, req), p);
  assert.equal(await callInner(inner, req), ok);
});

test('callInner turns a synchronous throw into a rejection, as an async function would', async () => {
  const boom = new Error('boom');
  const inner: HttpService = () => {
    throw boom;
  };
  let result: Promise<HttpOutcome> | undefined;
  assert.doesNotThrow(() => {
    result = callInner(inner, req);
  });
  await assert.rejects(result!, (err) => err === boom);
});

test('rejection keeps an Error and wraps anything else in one', async () => {
  const e = new TypeError('t');
  await assert.rejects(rejection(e), (err) => err === e);
  await assert.rejects(rejection('text'), (err: unknown) => err instanceof Error && err.message === 'text');
});
