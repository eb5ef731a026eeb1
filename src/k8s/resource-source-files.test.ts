import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { createLogger } from '../log/index.ts';
import { catchRejection } from '../testing/index.ts';
import { ResourceFolderError } from './resource-errors.ts';
import { FileResourceSource, type FileResourceSourceOptions } from './resource-source-files.ts';
import { RESOURCE_KIND_NAMES, type CachedObject } from './resource-source.ts';

const execFileAsync = promisify(execFile);
const cleanups: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-resources-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

/** Writes through a temporary file and a rename, as kubectl-style tools and many editors do. */
async function replaceFile(file: string, text: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, file);
}

function logLines() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n'))
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const log = createLogger({ config: { level: 'info', format: 'json', trace: [] }, name: 'test', destination: stream });
  return { log, lines };
}

async function startSource(dir: string, options: Partial<FileResourceSourceOptions> = {}) {
  const { log, lines } = logLines();
  const source = new FileResourceSource({ log }, { folder: dir, ...options });
  cleanups.push(() => source.close());
  const events: string[] = [];
  const label = (o: CachedObject) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
  for (const kind of RESOURCE_KIND_NAMES) {
    const cache = source.kind(kind);
    cache.on('add', (o) => events.push(`add ${label(o)}`));
    cache.on('update', (o) => events.push(`update ${label(o)}`));
    cache.on('delete', (o) => events.push(`delete ${label(o)}`));
  }
  await source.start();
  return { source, events, lines };
}

/** Polls `condition` every 10 ms for at most `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 10) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const SERVICES = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports: [{port: 8080}]
`;

const PODS_LIST = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: shop, labels: {app: web}}
  status: {podIP: 127.0.1.1}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-2, namespace: shop, labels: {app: web}}
  status: {podIP: 127.0.1.2}
`;

const PROFILE = `apiVersion: nodemesh.io/v1alpha2
kind: ServiceProfile
metadata:
  name: web.shop.svc.cluster.local
  namespace: shop
spec:
  routes:
  - name: GET /
    condition: {method: GET, pathRegex: /}
`;

function portOf(o: CachedObject | undefined): unknown {
  return (o as { spec?: { ports?: { port?: number }[] } } | undefined)?.spec?.ports?.[0]?.port;
}

describe('FileResourceSource', () => {
  test('serves the folder at start: several documents, List files, namespace defaulted', async () => {
    const dir = await folder({
      'services.yaml': SERVICES,
      'pods.yml': PODS_LIST,
      'profile.yaml': PROFILE,
      'notes.txt': 'not read',
      '.hidden.yaml': 'not: read',
    });
    const { source, events } = await startSource(dir);
    assert.equal(source.synced, true);
    assert.ok(RESOURCE_KIND_NAMES.every((kind) => source.kind(kind).synced));
    assert.deepEqual(source.errors(), []);
    assert.deepEqual(events.toSorted(), [
      'add Pod shop/web-1',
      'add Pod shop/web-2',
      'add Service default/api',
      'add Service shop/web',
      'add ServiceProfile shop/web.shop.svc.cluster.local',
    ]);
    assert.equal(portOf(source.kind('Service').get('default', 'api')), 8080);
    assert.deepEqual(
      source
        .kind('Pod')
        .list('shop')
        .map((p) => p.status?.podIP),
      ['127.0.1.1', '127.0.1.2'],
    );
    const profile = source.kind('ServiceProfile').get('shop', 'web.shop.svc.cluster.local');
    assert.deepEqual(profile?.spec?.['routes'], [{ name: 'GET /', condition: { method: 'GET', pathRegex: '/' } }]);
    assert.ok(Object.isFrozen(profile?.spec));
    assert.equal(source.kind('HTTPRoute').list().length, 0);
  });

  test('an edited file fires update within a second, and nothing for unchanged objects', async () => {
    const dir = await folder({ 'services.yaml': SERVICES });
    const { source, events } = await startSource(dir);
    events.length = 0;
    const started = Date.now();
    await writeFile(path.join(dir, 'services.yaml'), SERVICES.replace('port: 80}', 'port: 81}'));
    await until(() => events.length > 0, 'the update');
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(events, ['update Service shop/web']);
    assert.equal(portOf(source.kind('Service').get('shop', 'web')), 81);
  });

  test('a new file fires add and a deleted file fires delete for each of its objects', async () => {
    const dir = await folder({ 'services.yaml': SERVICES });
    const { source, events } = await startSource(dir);
    events.length = 0;
    await replaceFile(path.join(dir, 'pods.yaml'), PODS_LIST);
    await until(() => events.length === 2, 'two adds');
    assert.deepEqual(events, ['add Pod shop/web-1', 'add Pod shop/web-2']);

    events.length = 0;
    await unlink(path.join(dir, 'services.yaml'));
    await until(() => events.length === 2, 'two deletes');
    assert.deepEqual(events.toSorted(), ['delete Service default/api', 'delete Service shop/web']);
    assert.deepEqual(source.kind('Service').list(), []);
    assert.equal(source.kind('Pod').list().length, 2);
  });

  test('a broken document is one error naming file, line and field; the rest is served; a fix clears it', async () => {
    const broken = `${SERVICES}---
apiVersion: v1
kind: Service
metadata:
  namespace: shop
`;
    const fixed = `${SERVICES}---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: shop
`;
    const dir = await folder({ 'services.yaml': broken, 'profile.yaml': PROFILE });
    const { source, events, lines } = await startSource(dir);
    const file = path.join(dir, 'services.yaml');
    const [error, ...more] = source.errors();
    assert.deepEqual(more, []);
    assert.deepEqual([error?.file, error?.line, error?.field], [file, 19, 'metadata.name']);
    assert.equal(error?.code, 'MESH_ERR_RESOURCE_DOCUMENT');
    assert.match(error?.message ?? '', new RegExp(`^${file}:19:3: metadata\\.name is missing`));
    assert.equal(source.kind('Service').list().length, 2, 'the good documents of the same file are served');
    assert.equal(source.kind('ServiceProfile').list().length, 1, 'other files are served');

    await source.refresh();
    await source.refresh();
    const skipped = lines.filter((l) => l['msg'] === 'resource document skipped');
    assert.equal(skipped.length, 1, 'the error is logged once, not on every read');
    assert.equal((skipped[0]?.['err'] as { code?: string } | undefined)?.code, 'MESH_ERR_RESOURCE_DOCUMENT');

    events.length = 0;
    await replaceFile(file, fixed);
    await until(() => events.length === 1, 'the fixed object');
    assert.deepEqual(events, ['add Service shop/db']);
    assert.deepEqual(source.errors(), []);
    assert.ok(lines.some((l) => l['msg'] === 'resource document problem cleared'));
  });

  test('an object defined twice: the first wins and the second is an error', async () => {
    const dir = await folder({ 'a.yaml': SERVICES, 'b.yaml': SERVICES.replace('port: 80}', 'port: 9}') });
    const { source } = await startSource(dir);
    assert.equal(portOf(source.kind('Service').get('shop', 'web')), 80);
    assert.deepEqual(
      source.errors().map((e) => `${path.basename(e.file)}:${e.line} ${e.field} ${e.problem}`),
      [
        `b.yaml:1 metadata.name Service shop/web is already defined at ${path.join(dir, 'a.yaml')}:1; this one is ignored`,
        `b.yaml:9 metadata.name Service default/api is already defined at ${path.join(dir, 'a.yaml')}:9; this one is ignored`,
      ],
    );
  });

  test('serves HTTPRoute and GRPCRoute; an older route apiVersion is one error naming file and line', async () => {
    const routes = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web-split, namespace: shop}
spec:
  parentRefs: [{group: '', kind: Service, name: web, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: api-grpc}
spec: {parentRefs: [{group: '', kind: Service, name: api}]}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: old, namespace: shop}
`;
    const dir = await folder({ 'routes.yaml': routes });
    const { source } = await startSource(dir);
    const http = source.kind('HTTPRoute').get('shop', 'web-split');
    assert.deepEqual((http?.spec?.['parentRefs'] as unknown[] | undefined)?.length, 1);
    assert.equal(source.kind('GRPCRoute').get('default', 'api-grpc')?.kind, 'GRPCRoute');
    assert.deepEqual(
      source.errors().map((e) => `${path.basename(e.file)}:${e.line} ${e.field} ${e.problem}`),
      [
        'routes.yaml:12 apiVersion apiVersion "gateway.networking.k8s.io/v1beta1" is not read for HTTPRoute; ' +
          'use "gateway.networking.k8s.io/v1"',
      ],
    );
  });

  test('the poll finds a change when file events are slow', async () => {
    const dir = await folder({ 'services.yaml': SERVICES });
    const { events } = await startSource(dir, { debounceMs: 60_000, pollIntervalMs: 50 });
    events.length = 0;
    await replaceFile(path.join(dir, 'profile.yaml'), PROFILE);
    await until(() => events.length === 1, 'the add found by the poll', 2000);
    assert.deepEqual(events, ['add ServiceProfile shop/web.shop.svc.cluster.local']);
  });

  test('a ConfigMap-style volume (symlinks swapped to a new data folder) is followed', async () => {
    const dir = await folder({});
    await mkdir(path.join(dir, '..2026_01'));
    await writeFile(path.join(dir, '..2026_01', 'services.yaml'), SERVICES);
    await symlink('..2026_01', path.join(dir, '..data'));
    await symlink(path.join('..data', 'services.yaml'), path.join(dir, 'services.yaml'));
    const { source, events } = await startSource(dir, { pollIntervalMs: 200 });
    assert.equal(source.kind('Service').list().length, 2);
    events.length = 0;

    await mkdir(path.join(dir, '..2026_02'));
    await writeFile(path.join(dir, '..2026_02', 'services.yaml'), SERVICES.replace('port: 8080}', 'port: 8081}'));
    await symlink('..2026_02', path.join(dir, '..data_tmp'));
    await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    await until(() => events.length === 1, 'the update');
    assert.deepEqual(events, ['update Service default/api']);
  });

  test('after close() no change is read and no event fires', async () => {
    const dir = await folder({ 'services.yaml': SERVICES });
    const { source, events } = await startSource(dir, { pollIntervalMs: 20, debounceMs: 10 });
    await source.close();
    events.length = 0;
    await replaceFile(path.join(dir, 'pods.yaml'), PODS_LIST);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(events, []);
    assert.equal(source.kind('Pod').list().length, 0);
  });

  test('a missing folder makes start() reject with ResourceFolderError', async () => {
    const dir = await folder({});
    const { log } = logLines();
    const missing = path.join(dir, 'nope');
    const source = new FileResourceSource({ log }, { folder: missing });
    cleanups.push(() => source.close());
    const err = await catchRejection(() => source.start(), ResourceFolderError);
    assert.equal(err.code, 'MESH_ERR_RESOURCE_FOLDER');
    assert.match(err.message, /nope cannot be read: ENOENT/);
  });
});

describe('src/k8s without a cluster', () => {
  test('importing src/k8s and using the file source never loads @kubernetes/client-node', async () => {
    const dir = await folder({ 'services.yaml': SERVICES });
    const index = new URL('./index.ts', import.meta.url).href;
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r; } });
      const k8s = await import(${JSON.stringify(index)});
      const { createLogger } = await import(${JSON.stringify(new URL('../log/index.ts', import.meta.url).href)});
      const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'probe' });
      const source = new k8s.FileResourceSource({ log }, { folder: ${JSON.stringify(dir)} });
      await source.start();
      const services = source.kind('Service').list().length;
      await source.close();
      console.log(JSON.stringify({ services, clientNode: loaded.filter((u) => u.includes('@kubernetes/client-node')).length }));
    `;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    assert.deepEqual(JSON.parse(stdout.trim()), { services: 2, clientNode: 0 });
  });
});
