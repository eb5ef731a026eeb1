// The components the local mesh starts, in start order, with the addresses they serve.
//
// Each entry is built from the state folder (certificates, keys, config files) and describes one
// child process on loopback, on ports picked free at start. Components are added here as they are
// built; PLANNED_COMPONENTS names the rest so the demo can say what it does not run yet.

import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../net/index.ts';
import { DEFAULT_CONTROL_NAMESPACE, DEFAULT_TRUST_DOMAIN, identityServiceName } from '../../tls/index.ts';
import { createCaFiles } from '../identity/ca-files.ts';
import { createKeyIfMissing } from '../identity/token-command.ts';
import type { ComponentSpec } from './supervisor.ts';

export interface DemoComponent {
  readonly spec: ComponentSpec;
  /** What it serves, for state.json and the printed table: name → address. */
  readonly addresses: Record<string, string>;
}

export interface DemoComponentsOptions {
  readonly stateDir: string;
}

export const PLANNED_COMPONENTS: readonly string[] = [
  'proxies with discovery (issues 4, 5, 7)',
  'demo apps and traffic (issue 11)',
  'dashboard (issue 11)',
];

const DAY_MS = 86_400_000;
const DOMAIN = { trustDomain: DEFAULT_TRUST_DOMAIN, controlNamespace: DEFAULT_CONTROL_NAMESPACE };

export async function demoComponents(opts: DemoComponentsOptions): Promise<readonly DemoComponent[]> {
  return [await identityComponent(opts.stateDir), await destinationComponent(opts.stateDir)];
}

/** The example cluster state shipped with the repository (examples/local-mesh). */
const EXAMPLES = fileURLToPath(new URL('../../../examples/local-mesh/', import.meta.url));

/** Destination on a copy of the example YAML folder (edit the copy while the mesh runs). */
async function destinationComponent(stateDir: string): Promise<DemoComponent> {
  const resources = path.join(stateDir, 'destination', 'resources');
  await rm(resources, { recursive: true, force: true });
  await cp(EXAMPLES, resources, { recursive: true });
  const grpc = `127.0.0.1:${await freePort()}`;
  const admin = `127.0.0.1:${await freePort()}`;
  return {
    spec: {
      name: 'destination',
      args: ['destination'],
      env: {
        NODEMESH_DESTINATION_LISTEN_ADDR: grpc,
        NODEMESH_DESTINATION_ADMIN_LISTEN_ADDR: admin,
        NODEMESH_DESTINATION_SOURCE: 'files',
        NODEMESH_DESTINATION_RESOURCES_DIR: resources,
        NODEMESH_LOG_FORMAT: 'json',
      },
      readyUrl: `http://${admin}/ready`,
    },
    addresses: { grpc, admin: `http://${admin}`, resources },
  };
}

/** Identity with a fresh trust anchor each run, validating local tokens. */
async function identityComponent(stateDir: string): Promise<DemoComponent> {
  const dir = path.join(stateDir, 'identity');
  await rm(path.join(dir, 'ca'), { recursive: true, force: true });
  const ca = await createCaFiles({
    dir: path.join(dir, 'ca'),
    domain: DOMAIN,
    anchorLifetimeMs: 30 * DAY_MS,
    issuerLifetimeMs: 7 * DAY_MS,
    force: true,
    command: 'demo',
  });
  const tokenKey = path.join(dir, 'token.key');
  await createKeyIfMissing(tokenKey);
  const grpc = `127.0.0.1:${await freePort()}`;
  const admin = `127.0.0.1:${await freePort()}`;
  return {
    spec: {
      name: 'identity',
      args: ['identity'],
      env: {
        NODEMESH_IDENTITY_LISTEN_ADDR: grpc,
        NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR: admin,
        NODEMESH_IDENTITY_ISSUER_DIR: ca.files.issuerDir,
        NODEMESH_IDENTITY_TRUST_ANCHORS_FILE: ca.files.anchor,
        NODEMESH_IDENTITY_TOKEN_VALIDATOR: 'local',
        NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE: `${tokenKey}.pub`,
        NODEMESH_LOG_FORMAT: 'json',
      },
      readyUrl: `http://${admin}/ready`,
    },
    addresses: { grpc, admin: `http://${admin}`, identity: identityServiceName(DOMAIN), trustAnchors: ca.files.anchor },
  };
}
