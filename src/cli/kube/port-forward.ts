// A port-forward to one port of a pod, as `kubectl port-forward` does it: a TCP server on
// 127.0.0.1 (an ephemeral port) whose every accepted connection is carried to the pod's port over
// its own WebSocket to the API server's pods/portforward subresource (@kubernetes/client-node's
// PortForward: `v4.channel.k8s.io`, channel 0 data, channel 1 errors). The connection arrives on
// the pod's loopback, which is why `nodemesh tap --kubernetes` uses it (ADR 0013, "Tap").
//
// Contract: `startPortForward` resolves once the local server listens; a connection the API
// server refuses or the pod does not take is closed, and `lastError()` says why (a
// KubeAccessError naming the RBAC rule `create pods/portforward` for a 403). `close()` ends the
// server and every forwarded connection; call it once. Loads @kubernetes/client-node.

import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';
import { KubeAccessError, refusal, unreachable, type ApiPlace } from './kube-errors.ts';

export interface PortForwardTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly port: number;
}

export interface PortForwarder {
  /** The local port on 127.0.0.1 that reaches the pod's port. */
  readonly localPort: number;
  /** Why the last forwarded connection failed, or undefined. */
  lastError(): Error | undefined;
  close(): Promise<void>;
}

/** The parts of a WebSocket the forwarder uses. */
interface ForwardSocket {
  close(): void;
  terminate(): void;
  on(event: 'close', listener: () => void): unknown;
}

/** The HTTP status in client-node's WebSocket failure (`Unexpected server response: 403`), if any. */
function upgradeStatusOf(err: unknown): number | undefined {
  const message = (err as { message?: unknown } | null)?.message;
  const match = typeof message === 'string' ? /Unexpected server response: (\d{3})/.exec(message) : null;
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The error for a port-forward the API server did not open. */
export function portForwardError(place: ApiPlace, target: PortForwardTarget, err: unknown): KubeAccessError {
  const what = `port-forward to pod ${target.namespace}/${target.pod}:${target.port}`;
  const status = upgradeStatusOf(err);
  if (status === undefined) {
    const reason = err instanceof Error ? err : new Error(String((err as { message?: unknown })?.message ?? err));
    return unreachable(place, what, reason);
  }
  if (status === 404) {
    return new KubeAccessError(
      `${what}: the API server says pod ${target.namespace}/${target.pod} does not exist (404)`,
      {
        status,
      },
    );
  }
  return refusal(place, what, `\`create pods/portforward\` in namespace ${target.namespace}`, status, '');
}

export async function startPortForward(
  deps: { readonly kubeConfig: KubeConfig; readonly place: ApiPlace },
  target: PortForwardTarget,
): Promise<PortForwarder> {
  let last: Error | undefined;
  const sockets = new Set<net.Socket>();
  const forwards = new Set<ForwardSocket>();

  const forward = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
    // Channel 1: the pod's port did not answer (the message says why).
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        const text = chunk.toString('utf8').trim();
        if (text !== '') {
          last = new Error(text);
          socket.destroy();
        }
        done();
      },
    });
    new PortForward(deps.kubeConfig, true)
      .portForward(target.namespace, target.pod, [target.port], socket, errors, socket)
      .then(
        (opened) => {
          const ws = (typeof opened === 'function' ? opened() : opened) as unknown as ForwardSocket | null;
          if (ws === null) return;
          forwards.add(ws);
          ws.on('close', () => {
            forwards.delete(ws);
            socket.end();
          });
          socket.on('close', () => ws.close());
          if (socket.destroyed) ws.close();
        },
        (err: unknown) => {
          last = portForwardError(deps.place, target, err);
          socket.destroy();
        },
      );
  };

  const server = net.createServer(forward);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    localPort: (server.address() as AddressInfo).port,
    lastError: () => last,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      for (const ws of forwards) ws.terminate();
      await closed;
    },
  };
}
