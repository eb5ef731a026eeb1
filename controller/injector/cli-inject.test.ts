// `nodemesh inject` / `uninject` end to end through the real injector backend (the webhook's code):
// the CLI's output for a Deployment equals the webhook's patch applied to the same pod template,
// and `inject --manual | uninject` gives the input back. (Here, not in src/cli/inject, because
// src/ may not import controller/.)

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { CommandContext } from '../../src/cli/command.ts';
import { createInjectCommand, createUninjectCommand, type InjectCommandDeps } from '../../src/cli/inject/index.ts';
import { applyJsonPatch } from '../../src/json-patch/index.ts';
import { decodePatch, reviewAdmission } from './admission.ts';
import { createInjectBackend } from './cli-backend.ts';
import { FIXTURES, testConfig, validatePod } from './test-fixtures.ts';

const ANCHORS = path.join(new URL('.', FIXTURES).pathname, 'trust-anchors.pem');

const DEPLOYMENT = `# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: { tier: "on" }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata:
      labels: { app: web, answer: "yes" }
    spec:
      serviceAccountName: web
      initContainers:
        - { name: migrate, image: ghcr.io/example/web:1.0, args: [migrate] }
      containers:
        - name: web
          image: ghcr.io/example/web:1.0
          ports: [{ name: http, containerPort: 8080 }, { name: pg, containerPort: 5432 }]
      volumes:
        - { name: cache, emptyDir: {} }
`;

const OTHERS = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { ports: [{ port: 80 }] }
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: report, namespace: shop }
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{ name: report, image: ghcr.io/example/report:1.0 }]
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: { name: debug, namespace: shop }
    spec:
      containers: [{ name: sh, image: busybox }]
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: { name: agent, namespace: shop }
    spec:
      selector: { matchLabels: { app: agent } }
      template:
        metadata: { labels: { app: agent } }
        spec:
          hostNetwork: true
          containers: [{ name: agent, image: ghcr.io/example/agent:1.0 }]
`;

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function run(command: 'inject' | 'uninject', argv: string[], stdinText = '', cwd = process.cwd()): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const deps: InjectCommandDeps = { backend: createInjectBackend(), stdin: Readable.from([stdinText]) };
  const ctx: CommandContext = {
    argv,
    env: {},
    stdout,
    stderr,
    signal: new AbortController().signal,
    program: 'nodemesh',
    cwd,
    self: ['node'],
  };
  const runner = command === 'inject' ? createInjectCommand(deps) : createUninjectCommand(deps);
  const code = await runner(ctx);
  return { code, out, err };
}

const docs = (text: string): unknown[] => parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS() as unknown);

describe('nodemesh inject', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-inject-'));
    await writeFile(path.join(dir, 'web.yaml'), DEPLOYMENT);
    await writeFile(path.join(dir, 'others.yaml'), OTHERS);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('without --manual only annotates pod templates, keeping strings such as "on" strings', async () => {
    const r = await run('inject', ['-'], DEPLOYMENT);
    assert.equal(r.code, 0);
    assert.match(r.out, /^# the web tier\n/);
    assert.match(r.out, /tier: "on"/);
    assert.match(r.out, /answer: "yes"/);
    const [deployment] = docs(r.out) as [{ spec: { template: { metadata: { annotations: object } } } }];
    assert.deepEqual(deployment.spec.template.metadata.annotations, { 'nodemesh.io/inject': 'enabled' });
    assert.equal(r.err, 'deployment/web: annotated nodemesh.io/inject=enabled\n');
  });

  test("--manual output for a Deployment equals the webhook's patch applied to its pod template", async () => {
    const r = await run('inject', ['--manual', '--trust-anchors', ANCHORS, path.join(dir, 'web.yaml')]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, 'deployment/web: injected\n');
    const [injected] = docs(r.out) as [{ spec: { template: Record<string, unknown> } }];

    // The pod the Deployment's ReplicaSet would create from the same template, through the webhook.
    const source = docs(DEPLOYMENT)[0] as { spec: { template: { metadata: Record<string, unknown>; spec: unknown } } };
    const template = source.spec.template;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...template.metadata,
        generateName: 'web-7c9d8b6f5-',
        labels: { ...(template.metadata['labels'] as object), 'pod-template-hash': '7c9d8b6f5' },
        annotations: { 'nodemesh.io/inject': 'enabled' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7c9d8b6f5', uid: 'u', controller: true },
        ],
      },
      spec: template.spec,
    };
    const review = await reviewAdmission(
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u1',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          operation: 'CREATE',
          namespace: 'shop',
          object: pod,
        },
      },
      { config: await testConfig(), namespaces: () => Promise.resolve({ labels: {}, annotations: {} }) },
    );
    const patch = decodePatch(review.response);
    assert.ok(patch !== undefined);
    const patched = applyJsonPatch(pod, patch) as { metadata: Record<string, unknown>; spec: unknown };
    await validatePod(patched);
    const { generateName: _g, ownerReferences: _o, ...meta } = patched.metadata;
    const { 'pod-template-hash': _h, ...labels } = meta['labels'] as Record<string, string>;
    assert.deepEqual(injected.spec.template, { metadata: { ...meta, labels }, spec: patched.spec });
  });

  test('inject --manual | uninject gives back every input object', async () => {
    const injected = await run('inject', ['--manual', '--trust-anchors', ANCHORS, dir]);
    assert.equal(injected.code, 0, injected.err);
    assert.deepEqual(injected.err.split('\n').filter(Boolean), [
      'service/web: unchanged (no pod template)',
      'cronjob/report: injected',
      'pod/debug: injected',
      'daemonset/agent: skipped (host-network): the pod uses the host network (hostNetwork: true); a proxy would intercept the node',
      'deployment/web: injected',
    ]);
    for (const doc of docs(injected.out) as { kind: string; items?: unknown[]; spec?: Record<string, unknown> }[]) {
      if (doc.kind === 'Pod' || doc.kind === 'List') await validatePod((doc.items ?? [doc])[0]);
    }
    const back = await run('uninject', ['-'], injected.out);
    assert.equal(back.code, 0);
    assert.deepEqual(docs(back.out), [...docs(OTHERS), ...docs(DEPLOYMENT)]);
    assert.match(
      back.out,
      /^apiVersion: v1\nkind: Service\nmetadata: \{ name: web, namespace: shop \}\n/,
      'unchanged documents are written as read',
    );
  });

  test('a bad annotation is reported, its object written unchanged, and the exit status is 1', async () => {
    const bad = DEPLOYMENT.replace(
      'labels: { app: web, answer: "yes" }',
      'annotations: { config.nodemesh.io/proxy-memory-limit: lots }',
    );
    const r = await run('inject', ['--manual', '--trust-anchors', ANCHORS, '-'], bad);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /deployment\/web: not injected: annotation config\.nodemesh\.io\/proxy-memory-limit on the pod has value "lots"; allowed: a Kubernetes quantity.*\[MESH_ERR_INJECT_ANNOTATION\]/,
    );
    assert.deepEqual(docs(r.out), docs(bad));
  });

  test('--manual without trust anchors names the missing value', async () => {
    await assert.rejects(run('inject', ['--manual', '-'], DEPLOYMENT), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MESH_ERR_CONFIG');
      assert.match(err.message, /identityTrustAnchorsPEM is missing|identityTrustAnchorsPEM has value ""/);
      return true;
    });
  });

  test('reports a file that cannot be read or does not parse with MESH_ERR_INJECT_INPUT', async () => {
    const missing = await run('inject', [path.join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope\.yaml: cannot read: .*\[MESH_ERR_INJECT_INPUT\]/);
    const broken = await run('inject', ['-'], 'a: [1, 2\n');
    assert.equal(broken.code, 1);
    assert.match(broken.err, /-:\d+: .*\[MESH_ERR_INJECT_INPUT\]/);
  });

  test('refuses --values without --manual, and no input at all, as usage errors', async () => {
    await assert.rejects(run('inject', ['--values', 'x.yaml', '-']), { code: 'MESH_ERR_USAGE' });
    await assert.rejects(run('inject', []), { code: 'MESH_ERR_USAGE' });
  });
});
