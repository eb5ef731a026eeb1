// Gateway API RequestRedirect: a rule with a redirect filter is answered by the proxy with a
// 301/302/303/307/308 whose Location is built from the request and the filter (GEP-726):
//   scheme   the filter's, else the request's (`http`: the application speaks plaintext to us);
//   hostname the filter's, else the request's host (without port), else the Service's name;
//   port     the filter's, else the well-known port of a scheme the filter sets, else the Service
//            port; left out when it is the scheme's well-known one (http 80, https 443);
//   path     ReplaceFullPath replaces it, ReplacePrefixMatch replaces the rule's PathPrefix part
//            (element-wise), else it stays; the query string is kept.
//
// Contract: a rule without a redirect passes the request down; a redirect writes the response
// (with the rule's response header edits) and resolves with its status, nothing is forwarded.

import { editHeaderRecord } from '../http/header-edit.ts';
import { respondRedirect } from '../http/redirect-response.ts';
import type { HttpLayer, HttpRequest } from '../http/stack.ts';
import type { RequestRedirect } from '../../src/routes/index.ts';
import { originForm, type CompiledRule } from '../outbound/gateway-routing.ts';
import type { HttpRouteFields } from './http-route.ts';

export function httpRouteRedirectLayer<R extends HttpRequest & HttpRouteFields>(): HttpLayer<R> {
  return (inner) => (req) => {
    const rule = req.httpRoute;
    const redirect = rule.redirect;
    if (redirect === undefined) return inner(req);
    const location = redirectLocation(req, redirect, rule);
    respondRedirect(req.downstream, redirect.statusCode, location, editHeaderRecord({}, req.responseHeaderEdits ?? []));
    return Promise.resolve({ status: redirect.statusCode, grpcStatus: undefined, committed: true });
  };
}

const WELL_KNOWN_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

/** The Location of `redirect` for a request (see the file header). */
export function redirectLocation(
  req: { readonly target: string; readonly authority: string | undefined },
  redirect: RequestRedirect,
  rule: Pick<CompiledRule, 'parentPort' | 'parentHost' | 'redirectPrefix'>,
): string {
  const scheme = redirect.scheme ?? 'http';
  const host = redirect.hostname ?? hostOf(req.authority) ?? rule.parentHost;
  const port =
    redirect.port ?? (redirect.scheme === undefined ? rule.parentPort : (WELL_KNOWN_PORTS[scheme] ?? rule.parentPort));
  const hostPort = port === WELL_KNOWN_PORTS[scheme] ? host : `${host}:${port}`;
  const target = originForm(req.target);
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  return `${scheme}://${hostPort}${newPath(path, redirect, rule.redirectPrefix)}${query}`;
}

function newPath(path: string, redirect: RequestRedirect, prefix: string | undefined): string {
  const modifier = redirect.path;
  if (modifier === undefined) return path;
  if (modifier.type === 'ReplaceFullPath') return modifier.replaceFullPath;
  // Element-wise: prefix /foo on /foo/bar leaves /bar, replaced by /v2 gives /v2/bar.
  const matched = (prefix ?? '/').replace(/\/+$/, '');
  const rest = path.slice(matched.length);
  const replaced = `${modifier.replacePrefixMatch.replace(/\/+$/, '')}${rest}`;
  return replaced === '' ? '/' : replaced.startsWith('/') ? replaced : `/${replaced}`;
}

function hostOf(authority: string | undefined): string | undefined {
  if (authority === undefined || authority === '') return undefined;
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1);
  const colon = authority.lastIndexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}
