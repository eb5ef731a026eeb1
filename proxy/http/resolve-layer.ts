// The layer that chooses an attempt's endpoint with a resolver function: inbound (the local
// application, after the inbound policy) and outbound traffic that has no logical service behind it
// (a pod IP, an address discovery does not know, `l5d-dst-override` in ingress mode).
//
// Contract: the resolver answers an Endpoint, or a ProxyError that fails the request at the edge.

import { ProxyError } from './proxy-error.ts';
import type { Endpoint, EndpointRequest, HttpLayer, HttpRequest } from './stack.ts';

export type EndpointResolver<R extends HttpRequest = HttpRequest> = (
  req: R,
) => Endpoint | ProxyError | Promise<Endpoint | ProxyError>;

export function resolveLayer<R extends HttpRequest>(resolve: EndpointResolver<R>): HttpLayer<R, R & EndpointRequest> {
  return (inner) => async (req) => {
    const endpoint = await resolve(req);
    if (endpoint instanceof ProxyError) throw endpoint;
    return inner({ ...req, endpoint });
  };
}
