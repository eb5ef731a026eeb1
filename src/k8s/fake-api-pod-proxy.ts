// The fake API server's pods/proxy subresource (what `kubectl get --raw
// /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH` reaches): a GET is forwarded over plain HTTP to
// the pod's `status.podIP` and the port in the path (or its first container port), and the pod's
// answer is passed back unchanged. As kube-apiserver: a pod that does not exist is 404, a pod that
// does not answer is 503 with a Status `error trying to reach service: …`, and the port must be a
// number. Tests put real servers on 127.0.0.1 behind pods whose podIP and container port name them.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { FakeObject } from './fake-api-resources.ts';
import { sendStatus } from './fake-api-status.ts';

const FORWARD_TIMEOUT_MS = 10_000;

/** What a pods/proxy path names. */
export interface PodProxyPath {
  readonly namespace: string;
  readonly pod: string;
  /** The port in `NAME:PORT`, undefined when the path has none. */
  readonly port: string | undefined;
  /** The path on the pod, with its leading slash (`/metrics`). */
  readonly rest: string;
}

/** Parses `/api/v1/namespaces/{ns}/pods/{name}[:{port}]/proxy[/{rest}]`, or undefined. */
export function parsePodProxyPath(pathname: string): PodProxyPath | undefined {
  const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/proxy(\/.*)?$/.exec(pathname);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const target = decodeURIComponent(match[2]);
  // `name`, `name:port` or `scheme:name:port`, as kube-apiserver splits it.
  const parts = target.split(':');
  const [pod, port] = parts.length === 3 ? [parts[1] ?? '', parts[2]] : [parts[0] ?? '', parts[1]];
  return { namespace: decodeURIComponent(match[1]), pod, port: port === '' ? undefined : port, rest: match[3] ?? '/' };
}

/** Forwards a GET to the pod, as the API server's pod proxy does. */
export function forwardToPod(
  req: IncomingMessage,
  res: ServerResponse,
  path: PodProxyPath,
  pod: FakeObject | undefined,
  query: string,
): void {
  if (req.method !== 'GET') {
    sendStatus(res, 405, `the fake API server forwards only GET to pods/proxy, not ${req.method}`);
    return;
  }
  if (pod === undefined) {
    sendStatus(res, 404, `pods "${path.pod}" not found`);
    return;
  }
  const status = (pod['status'] ?? {}) as { podIP?: unknown };
  const podIP = typeof status.podIP === 'string' ? status.podIP : '';
  if (podIP === '') {
    sendStatus(res, 503, `pod ${path.pod} has no IP yet (status.podIP is empty)`);
    return;
  }
  const port = path.port ?? firstContainerPort(pod);
  if (port === undefined || !/^\d+$/.test(port)) {
    sendStatus(res, 400, `invalid port ${JSON.stringify(port)} for pods/proxy; give NAME:PORT with a number`);
    return;
  }
  const upstream = http.get(
    { host: podIP, port: Number(port), path: `${path.rest}${query}`, agent: false, timeout: FORWARD_TIMEOUT_MS },
    (answer) => {
      const headers: Record<string, string> = {};
      const type = answer.headers['content-type'];
      if (type !== undefined) headers['content-type'] = type;
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    },
  );
  upstream.on('timeout', () => upstream.destroy(new Error('i/o timeout')));
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    const reason = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message;
    if (res.headersSent) res.destroy();
    else sendStatus(res, 503, `error trying to reach service: dial tcp ${podIP}:${port}: ${reason}`);
  });
}

function firstContainerPort(pod: FakeObject): string | undefined {
  const containers = ((pod['spec'] ?? {}) as { containers?: unknown }).containers;
  if (!Array.isArray(containers)) return undefined;
  for (const c of containers as { ports?: { containerPort?: unknown }[] }[]) {
    const port = c.ports?.[0]?.containerPort;
    if (typeof port === 'number') return String(port);
  }
  return undefined;
}
