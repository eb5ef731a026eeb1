// The CLI's door to a cluster: the kubeconfig (KUBECONFIG, else ~/.kube/config, else in-cluster
// credentials), a chosen context, and plain GETs against its API server with the context's
// credentials — enough for listing pods, reading Deployments and the pods/proxy subresource — and
// the kubeconfig itself for the pods/portforward WebSocket (port-forward.ts).
//
// Contract: connectKube throws ConfigError when there is no usable kubeconfig and
// KubeAccessError when --context names no context. `get` resolves for every HTTP status (the caller
// knows which RBAC the path needs, see kube-errors.ts) and rejects only when the API server could
// not be asked (refused, timed out, aborted), with the reason. Loads @kubernetes/client-node.

import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { EnvSource } from '../../config/index.ts';
import { loadKubeConfig } from '../../k8s/kube-config.ts';
import { KubeAccessError } from './kube-errors.ts';

export interface KubeResponse {
  readonly status: number;
  readonly body: string;
}

export interface KubeApi {
  /** The API server's URL. */
  readonly server: string;
  /** The kubeconfig context in use. */
  readonly context: string;
  /** The context's namespace (`default` when it sets none). */
  readonly namespace: string;
  /** The loaded kubeconfig, on the chosen context (for WebSocket subresources: port-forward). */
  readonly kubeConfig: KubeConfig;
  /** GET `path` (with its query) on the API server. */
  get(path: string, timeoutMs: number, signal: AbortSignal): Promise<KubeResponse>;
}

/** Loads the kubeconfig and picks the context (`context`, else the current one). */
export function connectKube(
  env: EnvSource,
  options: { readonly command: string; readonly context?: string | undefined },
): KubeApi {
  const component = `nodemesh ${options.command} --kubernetes`;
  const home = env['HOME'];
  const fallback = home === undefined ? undefined : path.join(home, '.kube', 'config');
  const withDefault =
    env['KUBECONFIG'] === undefined && fallback !== undefined && existsSync(fallback)
      ? { ...env, KUBECONFIG: fallback }
      : env;
  const kc = loadKubeConfig(
    withDefault,
    component,
    'put one at ~/.kube/config, or drop --kubernetes to look at the local mesh',
  );
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeAccessError(
        `--context ${JSON.stringify(options.context)} is not in the kubeconfig; known: ${known.length > 0 ? known.join(', ') : '(none)'}`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new KubeAccessError(`the kubeconfig context ${JSON.stringify(kc.getCurrentContext())} names no cluster`);
  }
  const context = kc.getCurrentContext();
  const namespace = kc.getContextObject(context)?.namespace ?? 'default';
  const server = cluster.server.replace(/\/+$/, '');
  return {
    server,
    context,
    namespace: namespace === '' ? 'default' : namespace,
    kubeConfig: kc,
    get: (p, timeoutMs, signal) => kubeGet(kc, `${server}${p}`, timeoutMs, signal),
  };
}

async function kubeGet(kc: KubeConfig, url: string, timeoutMs: number, signal: AbortSignal): Promise<KubeResponse> {
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const headers = { ...options.headers, accept: 'application/json, */*' };
  const requestOptions: https.RequestOptions = secure
    ? { ...options, headers }
    : { headers, ...(options.auth === undefined ? {} : { auth: options.auth }) };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).get(
      target,
      { ...requestOptions, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}
