// Reading what a proxy asks for: the `path` of a GetDestination (`host:port`, host a name or an IP)
// and its `context_token` (JSON `{"ns":"…","nodeName":"…","pod":"…"}`, or the legacy `ns:<ns>`).
//
// Contract: pure; never throws. A path without a port means port 80 (as Linkerd does). A name is a
// Service when it is `<service>.<namespace>.svc.<cluster-domain>` (a trailing dot is allowed);
// anything else under or outside the cluster domain is `external` (pod DNS names included, for now).

import { isIP } from 'node:net';

export type DestinationTarget =
  | { readonly type: 'service'; readonly namespace: string; readonly name: string; readonly port: number }
  | { readonly type: 'ip'; readonly ip: string; readonly port: number }
  | { readonly type: 'external'; readonly host: string; readonly port: number };

export type PathResult =
  { readonly ok: true; readonly target: DestinationTarget } | { readonly ok: false; readonly reason: string };

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Parses `host:port` (or `[v6]:port`, or `host` alone for port 80). */
export function parseDestinationPath(path: string, clusterDomain: string): PathResult {
  const split = splitPath(path.trim());
  if (split === undefined) return { ok: false, reason: `${JSON.stringify(path)} is not host:port` };
  const { host, port } = split;
  if (isIP(host) !== 0) return { ok: true, target: { type: 'ip', ip: host, port } };
  const name = (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
  const suffix = `.svc.${clusterDomain}`;
  if (name.endsWith(suffix)) {
    const labels = name.slice(0, -suffix.length).split('.');
    const [service, namespace] = labels;
    if (
      labels.length === 2 &&
      service !== undefined &&
      namespace !== undefined &&
      DNS_LABEL.test(service) &&
      DNS_LABEL.test(namespace)
    ) {
      return { ok: true, target: { type: 'service', namespace, name: service, port } };
    }
  }
  return { ok: true, target: { type: 'external', host: name, port } };
}

function splitPath(path: string): { host: string; port: number } | undefined {
  if (path === '') return undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(path);
  if (bracketed !== null) return withPort(bracketed[1] ?? '', bracketed[2]);
  if (isIP(path) === 6) return { host: path, port: 80 };
  const colon = path.lastIndexOf(':');
  if (colon === -1) return withPort(path, undefined);
  return withPort(path.slice(0, colon), path.slice(colon + 1));
}

function withPort(host: string, portText: string | undefined): { host: string; port: number } | undefined {
  if (host === '' || (host.includes(':') && isIP(host) !== 6)) return undefined;
  if (portText === undefined) return { host, port: 80 };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  return port >= 1 && port <= 65_535 ? { host, port } : undefined;
}

/** What the context token says about the client; fields absent when not given. */
export interface ClientContext {
  readonly namespace?: string;
  readonly nodeName?: string;
  readonly pod?: string;
}

/** Reads the context token; an empty or unreadable token is an empty context. */
export function parseContextToken(token: string): ClientContext {
  const text = token.trim();
  if (text === '') return {};
  if (text.startsWith('ns:')) {
    const ns = text.slice(3);
    return DNS_LABEL.test(ns) ? { namespace: ns } : {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const pick = (key: string): string | undefined => {
    const v = record[key];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const namespace = pick('ns');
  const nodeName = pick('nodeName');
  const pod = pick('pod');
  return {
    ...(namespace !== undefined && DNS_LABEL.test(namespace) ? { namespace } : {}),
    ...(nodeName === undefined ? {} : { nodeName }),
    ...(pod === undefined ? {} : { pod }),
  };
}
