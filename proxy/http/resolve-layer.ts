// The layer that chooses an attempt's endpoint with a resolver function: inbound (the local
// application, after the inbound policy) and outbound traffic that has no logical service behind it
// (a pod IP, an address discovery does not know, `l5d-dst-override` in ingress mode).
//
// Contract: the resolver answers an Endpoint, or a ProxyError that fails the request at the edge
// (a rejected promise). A resolver that answers synchronously costs no promise and no microtask
// turn: the inner service is called at once (it is on every inbound request's path).

import { ProxyError } from './proxy-error.ts';
import { rejection, type Endpoint, type EndpointRequest, type HttpLayer, type HttpRequest } from './stack.ts';

export type EndpointResolver<R extends HttpRequest = HttpRequest> = (
  req: R,
) => Endpoint | ProxyError | Promise<Endpoint | ProxyError>;

export function resolveLayer<R extends HttpRequest>(resolve: EndpointResolver<R>): HttpLayer<R, R & EndpointRequest> {
  return (inner) => (req) => {
    try {
      const resolved = resolve(req);
      if (resolved instanceof Promise) {
        return resolved.then((endpoint) => {
          if (endpoint instanceof ProxyError) throw endpoint;
          return inner({ ...req, endpoint });
        });
      }
      if (resolved instanceof ProxyError) return Promise.reject(resolved);
      return inner({ ...req, endpoint: resolved });
    } catch (err) {
      // As from an async function: a throw becomes a rejection.
      return rejection(err);
    }
  };
}
