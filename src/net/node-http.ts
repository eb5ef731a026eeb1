// node:http for code the sidecar loads, obtained through require instead of an ESM import.
//
// An ESM `import { createServer } from 'node:http'` builds the module's namespace from every one
// of its exports, and reading them runs node:http's lazy getters (WebSocket, CloseEvent,
// MessageEvent), which load undici: measured on Node 24, a process that ESM-imports node:http maps
// 58 MB RSS, one that requires it 45 MB, for the same createServer. The proxy never uses those
// exports, so it requires the module (type-only imports of node:http stay as they are: they are
// erased). eslint's no-restricted-imports keeps value imports of node:http out of the sidecar's code.

import { createRequire } from 'node:module';
import type * as NodeHttp from 'node:http';

const require = createRequire(import.meta.url);

/** The node:http module, without the ESM namespace's lazy exports. */
export const nodeHttp = require('node:http') as typeof NodeHttp;
