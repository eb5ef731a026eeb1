// Vite's build of the dashboard page (npm run build:dashboard, or `nodemesh dashboard` when
// dashboard/dist is missing or stale): Preact views in TSX through Vite's built-in Oxc transform,
// everything bundled into dist/ so the page makes no third-party requests.

import { defineConfig } from 'vite';

export const config = defineConfig({
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small page: no module preload polyfill, no inline assets besides what Vite needs.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 200,
  },
});

// Vite loads the config as a module's default export; everything else in the repo uses named exports.
// eslint-disable-next-line no-restricted-syntax
export default config;
