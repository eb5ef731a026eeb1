// Test support for "a real proxy discovering through a destination service on a folder of YAML":
// the destination controller in process (restartable on the same port), a `nodemesh proxy` child
// pointed at it, atomic edits of the folder, and steady HTTP/1 load that records who answered.

import { rename, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { Registry } from '../../src/metrics/index.ts';
import { DestinationController } from '../../controller/destination/index.ts';
import type { FileResourceSource } from '../../src/k8s/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { freePort } from '../../src/net/index.ts';
import { startDaemon, waitReady, type Daemon } from './processes.ts';

export const silentLog = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

/** A destination controller serving `source` on 127.0.0.1:`port` (0: any). */
export function fileDestination(source: FileResourceSource, port = 0): DestinationController {
  return new DestinationController(
    { source, log: silentLog, registry: new Registry() },
    {
      listenAddr: { host: '127.0.0.1', port },
      clusterDomain: 'cluster.local',
      controlNamespace: 'nodemesh',
      trustDomain: 'cluster.local',
      defaultOpaquePorts: [],
      streamQueueCapacity: 100,
    },
  );
}

/** A `nodemesh proxy` (identity off) discovering through 127.0.0.1:`destinationPort`, once ready. */
export async function discoveringProxy(
  destinationPort: number,
  env: Readonly<Record<string, string>> = {},
): Promise<{ proxy: Daemon; outboundPort: number }> {
  const [o, i, a] = [await freePort(), await freePort(), await freePort()];
  const proxy = startDaemon(['proxy'], {
    NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
    NODEMESH_PROXY_DESTINATION_SVC_ADDR: `127.0.0.1:${destinationPort}`,
    NODEMESH_PROXY_DESTINATION_CONTEXT: '{"ns":"shop"}',
    NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `127.0.0.1:${o}`,
    NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
    NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${a}`,
    NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
    ...env,
  });
  await waitReady(proxy, `http://127.0.0.1:${a}/ready`);
  return { proxy, outboundPort: o };
}

/** Replaces `file` in one step, so the file source never reads half of it. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeFile(temp, text);
  await rename(temp, file);
}

export interface SteadyLoad {
  /** Every successful response, in order of completion: when its request started and its body. */
  readonly replies: readonly { readonly started: number; readonly body: string }[];
  /** Every failed request: status and body, or the error. */
  readonly failures: readonly string[];
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

/** `loops` keep-alive clients sending GET / with Host `host` to 127.0.0.1:`port` until stopped (bounded). */
export function steadyLoad(port: number, host: string, loops = 4): SteadyLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: loops });
  const replies: { started: number; body: string }[] = [];
  const failures: string[] = [];
  let stopped = false;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = request({ host: '127.0.0.1', port, path: '/', agent, headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if (res.statusCode === 200) replies.push({ started, body });
          else failures.push(`${res.statusCode}: ${body}`);
          resolve();
        });
      });
      req.on('error', (err) => {
        failures.push(err.message);
        resolve();
      });
      req.end();
    });
  const running = Promise.all(
    Array.from({ length: loops }, async () => {
      for (let i = 0; i < 50_000 && !stopped; i++) await one();
    }),
  );
  return {
    replies,
    failures,
    async stop() {
      stopped = true;
      await running;
      agent.destroy();
    },
  };
}
