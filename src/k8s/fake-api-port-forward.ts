// The fake API server's pods/portforward subresource (what `kubectl port-forward` and
// @kubernetes/client-node's PortForward reach): `GET /api/v1/namespaces/NS/pods/NAME/portforward?ports=P`
// upgraded to a WebSocket speaking `v4.channel.k8s.io`, relayed to the pod's `status.podIP:P`.
//
// Framing, as the kubelet's: every binary message starts with its channel byte. Channel 0 carries
// the data, channel 1 the errors; the server opens each with the port as 2 bytes little-endian.
// The client's messages on channel 0 carry data for the pod. A pod that does not answer gets its
// reason on channel 1 and the WebSocket closed; either side closing closes the other. One
// WebSocket is one TCP connection to the pod, one port per request (as client-node supports).
// Tests put real servers on 127.0.0.1 behind pods whose podIP names it. Not for production use.
//
// Contract: `handleUpgrade` answers every request (a Status for a bad one, as kube-apiserver:
// 404 for a missing pod, 400 for a bad port); `close()` ends every relay.

import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FakeObject } from './fake-api-resources.ts';
import { statusObject } from './fake-api-status.ts';

export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';
export const DATA_CHANNEL = 0;
export const ERROR_CHANNEL = 1;
const CONNECT_TIMEOUT_MS = 10_000;

/** What a pods/portforward path names. */
export interface PortForwardPath {
  readonly namespace: string;
  readonly pod: string;
}

/** Parses `/api/v1/namespaces/{ns}/pods/{name}/portforward`, or undefined. */
export function parsePortForwardPath(pathname: string): PortForwardPath | undefined {
  const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(pathname);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { namespace: decodeURIComponent(match[1]), pod: decodeURIComponent(match[2]) };
}

/** A message on `channel` (the channel byte, then `data`). */
export function channelFrame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** The first message of a channel: the channel byte and the port, 2 bytes little-endian. */
export function portPrefixFrame(channel: number, port: number): Buffer {
  const frame = Buffer.alloc(3);
  frame.writeUInt8(channel, 0);
  frame.writeUInt16LE(port, 1);
  return frame;
}

/** Answers an upgrade request with an HTTP error and a Kubernetes Status body, then closes. */
export function rejectUpgrade(socket: Duplex, code: number, message: string): void {
  const body = JSON.stringify(statusObject(code, message));
  socket.end(
    `HTTP/1.1 ${code} ${code === 403 ? 'Forbidden' : code === 404 ? 'Not Found' : code === 401 ? 'Unauthorized' : 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export class FakePortForward {
  readonly #wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has(PORT_FORWARD_PROTOCOL) ? PORT_FORWARD_PROTOCOL : false),
  });
  readonly #relays = new Set<{ ws: WebSocket; tcp: net.Socket }>();

  /** Upgrades `req` (already authenticated) and relays it to the pod, or answers why not. */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    path: PortForwardPath,
    pod: FakeObject | undefined,
    query: URLSearchParams,
  ): void {
    if (pod === undefined) {
      rejectUpgrade(socket, 404, `pods "${path.pod}" not found`);
      return;
    }
    const ports = query.getAll('ports').flatMap((p) => p.split(','));
    const port = ports.length === 1 ? Number(ports[0]) : NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      rejectUpgrade(
        socket,
        400,
        `the fake API server forwards exactly one port per request (ports=${ports.join(',')})`,
      );
      return;
    }
    const status = (pod['status'] ?? {}) as { podIP?: unknown };
    const podIP = typeof status.podIP === 'string' ? status.podIP : '';
    if (podIP === '') {
      rejectUpgrade(socket, 400, `pod ${path.pod} has no IP yet (status.podIP is empty)`);
      return;
    }
    const offered = req.headers['sec-websocket-protocol'] ?? '';
    if (!offered.split(',').some((p) => p.trim() === PORT_FORWARD_PROTOCOL)) {
      rejectUpgrade(socket, 400, `the fake API server speaks only the ${PORT_FORWARD_PROTOCOL} subprotocol`);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#relay(ws, { ...path, podIP, port }));
  }

  #relay(ws: WebSocket, target: PortForwardPath & { readonly podIP: string; readonly port: number }): void {
    const tcp = net.connect({ host: target.podIP, port: target.port });
    const relay = { ws, tcp };
    this.#relays.add(relay);
    ws.send(portPrefixFrame(DATA_CHANNEL, target.port));
    ws.send(portPrefixFrame(ERROR_CHANNEL, target.port));
    tcp.setTimeout(CONNECT_TIMEOUT_MS, () => tcp.destroy(new Error('i/o timeout')));
    tcp.once('connect', () => tcp.setTimeout(0));
    tcp.on('data', (chunk: Buffer) => ws.send(channelFrame(DATA_CHANNEL, chunk)));
    tcp.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message;
      ws.send(
        channelFrame(
          ERROR_CHANNEL,
          `error forwarding port ${target.port} to pod ${target.pod}: dial tcp ${target.podIP}:${target.port}: ${reason}`,
        ),
      );
    });
    tcp.on('close', () => {
      this.#relays.delete(relay);
      ws.close(1000);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = isBinary ? data : Buffer.from(data);
      if (frame.length === 0 || frame[0] !== DATA_CHANNEL) return;
      tcp.write(frame.subarray(1));
    });
    ws.on('close', () => {
      this.#relays.delete(relay);
      tcp.end();
      tcp.destroySoon();
    });
    ws.on('error', () => tcp.destroy());
  }

  /** How many relays are open now. */
  get openCount(): number {
    return this.#relays.size;
  }

  /** Ends every relay. */
  close(): void {
    for (const { ws, tcp } of this.#relays) {
      tcp.destroy();
      ws.terminate();
    }
    this.#relays.clear();
    this.#wss.close();
  }
}
