// The Gateway API route layer (outbound, logical targets; ADR 0012): when the target's current
// profile carries HTTPRoutes or GRPCRoutes, the request is matched against them and handed to the
// route stack with the chosen rule; otherwise it goes to the ServiceProfile stack untouched.
//
// Contract: a gRPC request (content-type application/grpc…) is matched against the GRPCRoutes when
// any apply, else the HTTPRoutes; any other request against the HTTPRoutes only. No matching rule
// fails the request with ProxyError('no-route') (404; gRPC UNIMPLEMENTED). A target without routes
// costs one call answering a cached value: no parsing, no allocation.

import { ProxyError } from '../http/proxy-error.ts';
import type { HttpLayer, HttpRequest, HttpService } from '../http/stack.ts';
import type { CompiledRule, GatewayRouting } from '../outbound/gateway-routing.ts';

export interface GatewayRoutableRequest extends HttpRequest {
  readonly logical: { readonly name: string; gatewayRouting(): GatewayRouting | undefined };
}

export interface HttpRouteFields {
  /** The rule chosen for this request, compiled. */
  readonly httpRoute: CompiledRule;
}

/** Routes requests of targets with Gateway API routes to `routed`; the others to the inner (profile) stack. */
export function httpRouteLayer<R extends GatewayRoutableRequest>(
  routed: HttpService<R & HttpRouteFields>,
): HttpLayer<R> {
  return (profiled) => (req) => {
    const routing = req.logical.gatewayRouting();
    if (routing === undefined) return profiled(req);
    const rule = routing.select(req);
    if (rule === undefined) {
      return Promise.reject(
        new ProxyError('no-route', `no route of ${req.logical.name} matches ${req.method} ${req.target}`),
      );
    }
    return routed({ ...req, httpRoute: rule });
  };
}
