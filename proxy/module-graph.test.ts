// What loading the sidecar costs in modules: importing proxy/main.ts (everything the proxy loads
// before its first connection) must not pull in modules it does not use and that weigh on every
// pod's memory. Checked in a fresh child process, which lists the built-in modules it loaded and
// the packages it resolved.

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
    if (!specifier.startsWith('.') && !specifier.startsWith('node:') && !specifier.startsWith('file:')) packages.add(specifier);
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

function loadProxyMain(): Loaded {
  const main = pathToFileURL(path.join(import.meta.dirname, 'main.ts')).href;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, main], { encoding: 'utf8' });
  return JSON.parse(out) as Loaded;
}

test('loading the proxy does not load undici (an ESM import of node:http would: ~13 MB RSS)', () => {
  const loaded = loadProxyMain();
  assert.ok(loaded.builtins.includes('net'), 'the child reports the built-ins it loaded');
  const undici = loaded.builtins.filter((m) => m.includes('undici'));
  assert.deepEqual(undici, [], `built-ins loaded: ${loaded.builtins.join(' ')}`);
});
