// node:tls for code the sidecar loads, obtained through require instead of an ESM import.
//
// An ESM import of node:tls builds the module's namespace from every export, and reading
// `rootCertificates` makes Node parse its ~150 bundled root CA certificates: measured on Node 24,
// 1.1 MB RSS in a process that never uses them (nodemesh verifies peers against its own trust
// anchors only). Requiring the module leaves that getter unread. Type-only imports of node:tls stay
// as they are (they are erased); eslint's no-restricted-imports keeps value imports out of the
// sidecar's code, as for node:http (./node-http.ts).

import { createRequire } from 'node:module';
import type * as NodeTls from 'node:tls';

const require = createRequire(import.meta.url);

/** The node:tls module, without evaluating its lazy exports. */
export const nodeTls = require('node:tls') as typeof NodeTls;
