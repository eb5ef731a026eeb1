// What loading the sidecar costs in modules: importing proxy/main.ts (everything the proxy loads
// before its first connection) must not pull in modules it does not use and that weigh on every
// pod's memory: undici (an ESM import of node:http loads it, ~13 MB RSS; src/net/node-http.ts) and
// @grpc/grpc-js with the built-ins it brings (zlib, dns; the proxy has its own client, ADR 0017), and
// node:http2 (~9 MB RSS; the proxy has its own HTTP/2, ADR 0020).
// Checked in a fresh child process, which lists the built-in modules it loaded and the packages
// it resolved.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const CHILD = `
import { registerHooks } from 'node:module';
const packages = new Set();
registerHooks({
  resolve(specifier, context, next) {
    if (!/^(\\.|\\/|node:|file:)/.test(specifier)) packages.add(specifier);
    return next(specifier, context);
  },
});
await import(process.argv[1]);
const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
process.stdout.write(JSON.stringify({ builtins, packages: [...packages] }));
`;

interface Loaded {
  readonly builtins: readonly string[];
  readonly packages: readonly string[];
}

function loadedBy(specifier: string): Loaded {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, specifier], {
    cwd: path.join(import.meta.dirname, '..'),
    encoding: 'utf8',
  });
  return JSON.parse(out) as Loaded;
}

const PROXY_MAIN = pathToFileURL(path.join(import.meta.dirname, 'main.ts')).href;

let proxyLoaded: Loaded | undefined;
/** What importing proxy/main.ts loads (one child process for every test that asks). */
function loadedByProxy(): Loaded {
  return (proxyLoaded ??= loadedBy(PROXY_MAIN));
}

test('loading the proxy does not load undici (an ESM import of node:http would: ~13 MB RSS)', () => {
  const loaded = loadedByProxy();
  assert.ok(loaded.builtins.includes('net'), 'the child reports the built-ins it loaded');
  const undici = loaded.builtins.filter((m) => m.includes('undici'));
  assert.deepEqual(undici, [], `built-ins loaded: ${loaded.builtins.join(' ')}`);
});

test('loading the proxy loads no @grpc package, nor the zlib and dns that grpc-js brings', () => {
  const loaded = loadedByProxy();
  assert.ok(
    loaded.packages.includes('pino'),
    `the child reports the packages it resolved: ${loaded.packages.join(' ')}`,
  );
  assert.deepEqual(
    loaded.packages.filter((p) => p.startsWith('@grpc/')),
    [],
  );
  assert.deepEqual(
    loaded.builtins.filter((m) => m === 'zlib' || m === 'dns'),
    [],
  );
});

test('loading the proxy does not load node:http2 (its own HTTP/2 carries the data path and the control-plane calls)', () => {
  const loaded = loadedByProxy();
  assert.deepEqual(
    loaded.builtins.filter((m) => m.includes('http2')),
    [],
  );
});

test('the check sees grpc-js, zlib and dns when they are loaded', () => {
  const loaded = loadedBy('@grpc/grpc-js');
  assert.ok(loaded.packages.includes('@grpc/grpc-js'));
  assert.ok(loaded.builtins.includes('zlib') && loaded.builtins.includes('dns'), loaded.builtins.join(' '));
  assert.ok(loaded.builtins.includes('http2'), loaded.builtins.join(' '));
});
