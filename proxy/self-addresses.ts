// Whether a target is the proxy itself (one of its own listeners), so that a request or connection
// is never sent back into the proxy (a loop). An unspecified listener (0.0.0.0, ::) counts for every
// address of this host; a loopback listener for every loopback address.

import { networkInterfaces } from 'node:os';
import type { SocketAddress } from '../src/config/index.ts';

export class SelfAddresses {
  readonly #local: ReadonlySet<string>;

  constructor() {
    this.#local = new Set(
      Object.values(networkInterfaces())
        .flat()
        .map((i) => i?.address)
        .filter((a): a is string => a !== undefined),
    );
  }

  /** True when `target` is one of `listeners`. */
  isListener(target: { readonly host: string; readonly port: number }, listeners: readonly SocketAddress[]): boolean {
    const host = target.host;
    return listeners.some(
      (a) =>
        a.port === target.port &&
        (a.host === host ||
          (isUnspecified(a.host) && (this.#local.has(host) || isLoopback(host))) ||
          (isLoopback(a.host) && isLoopback(host))),
    );
  }
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}
