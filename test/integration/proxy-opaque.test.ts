// The proxy's opaque TCP paths, in process with a fake original-destination reader standing in for
// iptables (the end-to-end tests use real iptables in network namespaces).

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { serverSpeaksFirst, tcpEcho, type Upstream } from '../support/upstreams.ts';
import { ProxyApp, type ProxyAddresses } from '../../proxy/app.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import type { OriginalDestinationReader, SocketAddressPort } from '../../proxy/transport/original-dst.ts';

/** Hands out the destination each next accepted connection "dialled", in order (tests dial one at a time). */
class FakeRedirects implements OriginalDestinationReader {
  readonly queue: SocketAddressPort[] = [];
  read(): SocketAddressPort | undefined {
    return this.queue.shift();
  }
}

describe('ProxyApp opaque TCP', () => {
  const redirects = new FakeRedirects();
  const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
  let app: ProxyApp;
  let addrs: ProxyAddresses;
  let echo: Upstream;
  let banner: Upstream;

  before(async () => {
    [echo, banner] = await Promise.all([tcpEcho(), serverSpeaksFirst('220 ready\r\n')]);
    const config = parseProxyConfig({
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: '127.0.0.1:0',
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION: String(banner.port),
      NODEMESH_PROXY_OUTBOUND_DETECT_TIMEOUT: '300ms',
      NODEMESH_PROXY_INBOUND_DETECT_TIMEOUT: '60s',
    });
    app = new ProxyApp({
      config,
      log: createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' }),
      registry,
      originalDestination: redirects,
    });
    addrs = await app.start();
  });
  after(async () => {
    await app.shutdown(100);
    await Promise.all([echo.close(), banner.close()]);
  });

  /** Connects to a proxy listener as if iptables had redirected a connection for `target`. */
  async function dial(listener: { port: number }, target: SocketAddressPort): Promise<Socket> {
    redirects.queue.push(target);
    const socket = connect({ host: '127.0.0.1', port: listener.port, allowHalfOpen: true });
    await once(socket, 'connect');
    return socket;
  }

  async function readAll(socket: Socket): Promise<string> {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    await once(socket, 'end');
    return text;
  }

  test('copies bytes both ways and passes on a half-close', async () => {
    const socket = await dial(addrs.outbound[0]!, { host: '127.0.0.1', port: echo.port });
    const reply = readAll(socket);
    socket.write('\u0000binary, not HTTP: ');
    socket.end('the end');
    assert.equal(await reply, '\u0000binary, not HTTP: the end');
    socket.destroy();
  });

  test('a server-speaks-first protocol on an opaque port gets through with no detect delay', async () => {
    const socket = await dial(addrs.inbound, { host: '127.0.0.1', port: banner.port });
    // The inbound detect timeout is 60 s: the banner can only arrive now if detection was skipped.
    const [first] = (await Promise.race([
      once(socket, 'data'),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no banner within 5 s: detection was not skipped')), 5000),
      ),
    ])) as [Buffer];
    assert.equal(first.toString(), '220 ready\r\n');
    socket.destroy();
  });

  test('after the detect timeout a silent client is proxied as opaque TCP', async () => {
    const socket = await dial(addrs.outbound[0]!, { host: '127.0.0.1', port: banner.port });
    const [first] = (await once(socket, 'data')) as [Buffer];
    assert.equal(first.toString(), '220 ready\r\n');
    socket.destroy();
  });

  test('refuses a redirected connection whose destination is the proxy itself', async () => {
    const socket = await dial(addrs.outbound[0]!, { host: '127.0.0.1', port: addrs.inbound.port });
    socket.write('\u0001loop?');
    await Promise.race([once(socket, 'end'), once(socket, 'close')]);
    socket.destroy();
  });

  test('counts connections in the tcp_* families', async () => {
    const parsed = parsePrometheusText(await registry.metrics());
    assert.ok(sumSamples(parsed, 'tcp_open_total', { direction: 'outbound', target_port: String(echo.port) }) >= 1);
    assert.ok(
      sumSamples(parsed, 'tcp_read_bytes_total', { direction: 'outbound', target_port: String(echo.port) }) >= 25,
    );
  });
});
