// Rule filters of Gateway API routes: a rule using a filter nodemesh does not implement is not
// served (the spec: such a rule answers an error, it is not skipped), and the rule's
// RequestHeaderModifier and ResponseHeaderModifier edits are applied. `withHeaderEdits` is shared
// with the backend layer, which applies a backendRef's own filters the same way.
//
// Contract: an unsupported filter fails the request with ProxyError('route-unsupported') (500).
// Request edits change the forwarded headers (the copy passed down; matching already happened),
// response edits are appended to the attempt's responseHeaderEdits, which the forwarder applies to
// the response head. A rule without filters passes the request down as it is.

import { editRequestHeaders, type HeaderEdit } from '../http/header-edit.ts';
import { ProxyError } from '../http/proxy-error.ts';
import type { HttpLayer, HttpRequest } from '../http/stack.ts';
import type { HttpRouteFields } from './http-route.ts';

export function httpRouteFiltersLayer<R extends HttpRequest & HttpRouteFields>(): HttpLayer<R> {
  return (inner) => (req) => {
    const rule = req.httpRoute;
    if (rule.unsupported !== undefined) {
      return Promise.reject(
        new ProxyError(
          'route-unsupported',
          `${rule.description} uses filters nodemesh does not implement: ${rule.unsupported}`,
        ),
      );
    }
    return inner(withHeaderEdits(req, rule.requestEdits, rule.responseEdits));
  };
}

/** `req` with request header edits applied and response header edits added (itself when there are none). */
export function withHeaderEdits<R extends HttpRequest>(
  req: R,
  request: readonly HeaderEdit[],
  response: readonly HeaderEdit[],
): R {
  if (request.length === 0 && response.length === 0) return req;
  const prior = req.responseHeaderEdits;
  return {
    ...req,
    headers: editRequestHeaders(req.headers, request),
    responseHeaderEdits: response.length === 0 ? prior : prior === undefined ? response : [...prior, ...response],
  };
}
