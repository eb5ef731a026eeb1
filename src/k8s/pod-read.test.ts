import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeApiServer } from './fake-api-server.ts';
import { PodReadError, readPod } from './pod-read.ts';

describe('readPod', () => {
  const api = new FakeApiServer();
  let dir: string;
  let kubeconfig: string;

  before(async () => {
    await api.start();
    api.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'shop' },
      spec: { containers: [{ name: 'app' }] },
    });
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-pod-read-'));
    kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, api.kubeConfig().exportConfig());
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  const failsWith = async (promise: Promise<unknown>, reason: string, message: RegExp): Promise<void> => {
    await assert.rejects(
      promise,
      (e: unknown) => e instanceof PodReadError && e.reason === reason && message.test(e.message),
    );
  };

  test('reads the pod', async () => {
    const pod = await readPod(kubeconfig, 'shop', 'web-1');
    assert.equal(pod.metadata?.name, 'web-1');
    assert.deepEqual(
      pod.spec?.containers.map((c) => c.name),
      ['app'],
    );
  });

  test('says which failure it was', async () => {
    await failsWith(readPod(kubeconfig, 'shop', 'nope'), 'not-found', /pod shop\/nope does not exist/);
    const wrongToken = path.join(dir, 'wrong-token');
    await writeFile(wrongToken, api.kubeConfig({ bearerToken: 'wrong' }).exportConfig());
    await failsWith(readPod(wrongToken, 'shop', 'web-1'), 'forbidden', /HTTP 401.*needs get on pods/);
    await failsWith(readPod(path.join(dir, 'missing'), 'shop', 'web-1'), 'kubeconfig', /cannot load the kubeconfig/);
  });
});
