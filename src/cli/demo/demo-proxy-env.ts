// `nodemesh demo --proxy-env NAME=VALUE`: extra settings for every proxy of the local mesh, e.g.
// NODEMESH_PROXY_IDENTITY_MAX_REFRESH=15s to make them renew their certificates often (the bounded
// soak of `npm run bench -- soak` does). Only NODEMESH_PROXY_* names; the ones the demo sets
// itself (listen addresses, identity, destination) are refused where the proxies are built.

import { UsageError } from '../../errors/index.ts';

const NAME = /^NODEMESH_PROXY_[A-Z0-9_]+$/;

/** `NAME=VALUE` flags as an environment, frozen; every malformed entry is reported at once. */
export function parseProxyEnv(flags: readonly string[]): Readonly<Record<string, string>> {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq < 0 ? flag : flag.slice(0, eq);
    if (eq < 0 || !NAME.test(name)) problems.push(JSON.stringify(flag));
    else env[name] = flag.slice(eq + 1);
  }
  if (problems.length > 0) {
    throw new UsageError(
      `demo: --proxy-env ${problems.join(', ')} is not NAME=VALUE with a NODEMESH_PROXY_* name; allowed: e.g. --proxy-env NODEMESH_PROXY_IDENTITY_MAX_REFRESH=15s`,
    );
  }
  return Object.freeze(env);
}
