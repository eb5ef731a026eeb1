// `l5d-require-id` (linkerd.md §4.10): a client may ask its outbound proxy to send a request only
// to an endpoint that proves the given identity. The header is stripped before forwarding; an
// endpoint without that identity (or not meshed at all) fails the request with 502.

import { ProxyError } from '../http/proxy-error.ts';
import type { EndpointRequest, HttpLayer } from '../http/stack.ts';

export const REQUIRE_ID_HEADER = 'l5d-require-id';

export function requireIdentityLayer(): HttpLayer<EndpointRequest> {
  return (inner) => (req) => {
    const raw = req.headers[REQUIRE_ID_HEADER];
    if (raw === undefined) return inner(req);
    const required = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    const actual = req.endpoint.mesh?.identity;
    if (required !== undefined && required !== '' && actual !== required) {
      return Promise.reject(
        new ProxyError(
          'identity-required',
          `l5d-require-id asks for ${required}, but ${req.endpoint.host}:${req.endpoint.port} ${actual === undefined ? 'is not meshed' : `is ${actual}`}`,
        ),
      );
    }
    return inner(req);
  };
}
