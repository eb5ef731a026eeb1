// Lint rules: typescript-eslint's type-checked recommendations, named exports only, the import
// boundaries of ARCHITECTURE.md §4, and process.env read only at the edges (main.ts, src/config,
// bin/).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { boundariesPlugin, LAYOUT_ZONES } from './scripts/eslint-boundaries.ts';

export default defineConfig(
  globalIgnores([
    'node_modules/',
    'dist/',
    'dashboard/dist/',
    'test-artifacts/',
    'coverage/',
    'src/api/gen/',
    '.nodemesh/',
    'bench/results/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { nodemesh: boundariesPlugin },
    rules: {
      'nodemesh/import-boundaries': ['error', { zones: LAYOUT_ZONES }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports (STYLE.md rule 2).' },
        { selector: 'TSEnumDeclaration', message: 'Enums are not erasable syntax; use a union of literals.' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Only main.ts files, bin/ and src/config read process.env; take an EnvSource instead.',
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
    },
  },
  {
    files: ['**/main.ts', 'bin/**', 'src/config/**', 'scripts/**', 'bench/**', '**/*.test.ts', 'test/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // What the sidecar loads: an ESM value import of a built-in runs all its lazy exports: node:http's
    // load undici (~13 MB RSS in every pod), node:tls's parse the bundled root CAs (~1 MB). Take
    // them from src/net (nodeHttp, nodeTls) instead.
    files: ['proxy/**/*.ts', 'src/**/*.ts'],
    ignores: [
      '**/*.test.ts',
      'src/cli/**',
      'src/k8s/**',
      'src/testing/**',
      'src/net/node-http.ts',
      'src/net/node-tls.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'node:http',
              allowTypeImports: true,
              message: 'Use nodeHttp from src/net: an ESM import of node:http loads undici (~13 MB RSS).',
            },
            {
              name: 'node:tls',
              allowTypeImports: true,
              message: 'Use nodeTls from src/net: an ESM import of node:tls parses the bundled root CAs (~1 MB RSS).',
            },
            {
              name: 'node:http2',
              allowTypeImports: true,
              message:
                'The proxy carries HTTP/2 with its own implementation (proxy/h2/, ADR 0020); loading node:http2 costs ~9 MB RSS per pod.',
            },
          ],
        },
      ],
    },
  },
  {
    // The sidecar's code: Node 24 defines Buffer, performance and process on globalThis as
    // accessors, so each use of the global calls a getter (docs/performance.md, session 11); an
    // import binding costs nothing.
    files: ['proxy/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: "Import Buffer from 'node:buffer': the global is an accessor (a call per use)." },
        {
          name: 'performance',
          message: "Import performance from 'node:perf_hooks': the global is an accessor (a call per use).",
        },
        { name: 'process', message: "Import process from 'node:process': the global is an accessor (a call per use)." },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
    extends: [tseslint.configs.disableTypeChecked],
  },
);
