// The chart renderer itself (scripts/helm-render): Helm's values merging, schema validation,
// template functions and output format, on a small fixture chart.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRenderer, GOLDEN_DIR, parseObjects, render, renderOk } from './chart-harness.ts';

const CHART = path.join(GOLDEN_DIR, 'renderer-chart');
const built = await buildRenderer();
const skip = 'skip' in built ? built.skip : false;
const bin = 'bin' in built ? built.bin : '';

describe('helm-render', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nodemesh-helm-render-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const p = path.join(dir, name);
    await writeFile(p, text);
    return p;
  }

  test('merges -f files in order (maps deep, lists replaced, null removes), then --set and --set-file', async () => {
    const one = await file('one.yaml', 'name: one\nnested:\n  list: [c]\n');
    const two = await file('two.yaml', 'name: two\nnested:\n  drop: null\n');
    const content = await file('content.txt', 'file content\n');
    const stream = await renderOk(bin, CHART, {
      name: 'rel',
      namespace: 'ns1',
      valuesFiles: [one, two],
      set: { replicas: '3', enabled: 'true', message: 'hi' },
      setFiles: { file: content },
    });
    const objects = parseObjects(stream);
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['ConfigMap', 'Deployment'],
      'ordered by kind the way Helm installs, not by file name',
    );
    const data = (objects[0] as { data?: Record<string, string> }).data ?? {};
    assert.equal(data.include, 'hello two');
    assert.equal(data.tpl, 'two-tpl');
    assert.equal(data.nested, 'keep: kept\nlist:\n- c\n');
    assert.equal(data.json, '{"keep":"kept","list":["c"]}');
    assert.equal(data.fromYaml, '1');
    assert.equal(data.lookup, '0');
    assert.equal(data.hasPolicyV1, 'true');
    assert.equal(data.hasPsp, 'false');
    assert.equal(data.chart, 'renderer-test-1.2.3-4.5.6');
    assert.equal(data.file, 'from .Files.Get');
    assert.equal(data.missing, '');
    assert.equal(data.enabled, 'true');
    assert.equal(data.template, 'renderer-test/templates/b-configmap.yaml');
    assert.equal(data.setFile, 'file content');
    assert.equal((objects[1] as { spec?: { replicas: number } }).spec?.replicas, 3);
    assert.equal(objects[0]?.metadata.namespace, 'ns1');
    assert.match(stream, /^---\n# Source: renderer-test\/templates\/b-configmap\.yaml\napiVersion: v1\n/);
    assert.match(stream, /\n---\n# Source: renderer-test\/templates\/a-deployment\.yaml\napiVersion: apps\/v1\n/);
  });

  test('validates the merged values against values.schema.json', async () => {
    const r = await render(bin, CHART, { set: { replicas: '0', unknown: 'x', message: 'hi' } });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /values don't meet the specifications of the schema\(s\) in the following chart\(s\):\nrenderer-test:\n/,
    );
    assert.match(r.stderr, /- replicas: Must be greater than or equal to 1/);
    assert.match(r.stderr, /- \(root\): Additional property unknown is not allowed/);
  });

  test('required and fail stop the render with execution error at (template:line:col): message', async () => {
    const missing = await render(bin, CHART, {});
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /Error: execution error at \(renderer-test\/templates\/b-configmap\.yaml:\d+:\d+\): message is required: set it/,
    );
    const failed = await render(bin, CHART, { set: { failWith: 'no way', message: 'hi' } });
    assert.match(failed.stderr, /execution error at \(renderer-test\/templates\/b-configmap\.yaml:1:\d+\): no way/);
  });
});
