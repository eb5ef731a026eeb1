// Backends of Gateway API routes (ADR 0012): each request goes to one backendRef of its rule,
// chosen at random in proportion to the weights (pickWeighted; weight 0 gets nothing), counted in
// `outbound_http_route_backend_requests_total`, with the backend's own header filters applied, and
// is then balanced over that backend Service's endpoints like a dstOverrides backend
// (backend-resolve.ts).
//
// Contract: no backend with a weight, a backend that is not a core Service, or one discovery does
// not know fails the request with ProxyError('no-backend') (500; the spec: its share fails, it is
// not moved elsewhere); a backend with an unsupported filter with ProxyError('route-unsupported')
// (500). Weights are read from the rule compiled from the current profile, so a change applies to
// the next request; requests in flight keep their backend.

// Deep import: src/routes/index.ts also exports the YAML parser (loads `yaml`, ~4 MB per sidecar).
import { pickWeighted } from '../../src/routes/route-weight.ts';
import { ProxyError } from '../http/proxy-error.ts';
import type { HttpLayer, HttpRequest } from '../http/stack.ts';
import { resolveBackend, type BackendResolver, type BackendTarget } from './backend-resolve.ts';
import type { HttpRouteMetricCache } from './http-route-metric-cache.ts';
import { withHeaderEdits } from './http-route-filters.ts';
import type { HttpRouteFields } from './http-route.ts';

export function httpRouteBackendLayer<
  T extends BackendTarget,
  R extends HttpRequest & HttpRouteFields & { readonly logical: T },
>(backends: BackendResolver<T>, cache: HttpRouteMetricCache, random: () => number = Math.random): HttpLayer<R> {
  return (inner) => async (req) => {
    const rule = req.httpRoute;
    const backend = pickWeighted(rule.backends, random());
    if (backend === undefined) throw new ProxyError('no-backend', `${rule.description} has no backend with a weight`);
    cache.backend(backend.labels).inc();
    if (backend.unsupported !== undefined) {
      throw new ProxyError(
        'route-unsupported',
        `backend ${backend.labels.backend_name} of ${rule.description} uses filters nodemesh does not implement: ${backend.unsupported}`,
      );
    }
    const authority = backend.authority;
    if (authority === undefined) {
      throw new ProxyError(
        'no-backend',
        `backend ${backend.labels.backend_name} of ${rule.description} is not a Service`,
      );
    }
    const resolved = resolveBackend(backends, req.logical, authority);
    const target = resolved instanceof Promise ? await resolved : resolved;
    if (target === undefined) {
      throw new ProxyError('no-backend', `backend ${authority} of ${rule.description} is not a known Service`);
    }
    return inner(withHeaderEdits({ ...req, logical: target }, backend.requestEdits, backend.responseEdits));
  };
}
