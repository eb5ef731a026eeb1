// The lint rules that keep ARCHITECTURE.md §4's boundaries, run through ESLint with the project's
// own eslint.config.js on probe sources placed (virtually) in each folder.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function lint(filePath: string, code: string): Promise<string[]> {
  // Probe files do not exist on disk, so type-aware parsing is switched off for them; every other
  // rule of the project's config applies as it is.
  const eslint = new ESLint({ cwd: ROOT, overrideConfig: [tseslint.configs.disableTypeChecked] });
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('import boundaries', () => {
  const cases: { name: string; file: string; code: string; error?: RegExp }[] = [
    {
      name: 'src may not import a component',
      file: 'src/k8s/probe.ts',
      code: "export { x } from '../../proxy/probe.ts';\n",
      error: /nodemesh\/import-boundaries: src\/ must not import from proxy\/ .*src\/ may import only from src\//,
    },
    {
      name: 'the proxy may not import the controller',
      file: 'proxy/outbound/probe.ts',
      code: "import { x } from '../../controller/probe.ts';\nexport const y = x;\n",
      error: /proxy\/ must not import from controller\//,
    },
    {
      name: 'the controller may not import identity',
      file: 'controller/probe.ts',
      code: "export * from '../identity/probe.ts';\n",
      error: /controller\/ must not import from identity\//,
    },
    {
      name: 'a dynamic import across the boundary is caught too',
      file: 'identity/probe.ts',
      code: "export const m = import('../proxy/main.ts');\n",
      error: /identity\/ must not import from proxy\//,
    },
    {
      name: 'the sidecar may not load the Kubernetes client',
      file: 'proxy/probe.ts',
      code: "export { KubeConfig } from '@kubernetes/client-node';\n",
      error: /proxy\/ must not import the package "@kubernetes\/client-node"/,
    },
    {
      name: 'a component may import src',
      file: 'proxy/probe.ts',
      code: "export { MeshError } from '../src/errors/index.ts';\n",
    },
    {
      name: 'bin may import every component',
      file: 'bin/probe.ts',
      code: "export const m = import('../proxy/config.ts');\n",
    },
    {
      name: 'default exports are refused',
      file: 'src/probe.ts',
      code: 'const x = 1;\nexport default x;\n',
      error: /no-restricted-syntax: Use named exports/,
    },
    {
      name: 'process.env is read only at the edges',
      file: 'proxy/outbound/probe.ts',
      code: 'export const port = process.env.PORT;\n',
      error: /no-restricted-properties: .*Only main\.ts files, bin\/ and src\/config read process\.env/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const messages = await lint(c.file, c.code);
      if (c.error === undefined) assert.deepEqual(messages, []);
      else
        assert.ok(
          messages.some((m) => c.error?.test(m)),
          `expected ${c.error} in:\n${messages.join('\n')}`,
        );
    });
  }
});
