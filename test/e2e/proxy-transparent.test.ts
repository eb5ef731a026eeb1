// The proxy behind real iptables: `nodemesh proxy-init` writes the rules inside a private network
// namespace (the "pod"), `nodemesh proxy` runs there as UID 2102, and plain clients that know
// nothing about the proxy reach a server in a second namespace. Proves SO_ORIGINAL_DST on both
// listeners, HTTP and opaque TCP, and that the proxy's own connections are not looped back.
// Needs root, iproute2, iptables and setpriv; otherwise skipped with the reason.

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { cleanupNetns, netnsUnavailable, Netns, vethPair, type BackgroundProcess } from './netns.ts';

const BIN = fileURLToPath(new URL('../../bin/nodemesh.ts', import.meta.url));
const NODE = process.execPath;

const SERVER_SCRIPT = `
const http = require('node:http'); const net = require('node:net');
const host = process.argv[1];
http.createServer((req, res) => res.end('hello from ' + host + ' ' + req.url + ' via ' + (req.headers['x-seen'] ?? '-'))).listen(8080, host);
net.createServer((s) => s.pipe(s)).listen(9000, host, () => console.log('listening'));
`;
const APP_SCRIPT = `require('node:http').createServer((req, res) => res.end('app in the pod saw ' + req.url)).listen(8081, '0.0.0.0', () => console.log('listening'));`;
const TCP_CLIENT = `
const s = require('node:net').connect(9000, process.argv[1], () => s.end('\\u0000raw bytes, not HTTP'));
let out = ''; s.on('data', (d) => (out += d)); s.on('end', () => console.log(JSON.stringify(out)));
`;

describe('nodemesh proxy behind proxy-init (network namespaces)', async () => {
  const skip = await netnsUnavailable(['iptables', 'setpriv', 'curl']);
  const r = randomInt(1, 250);
  const podIp = `10.255.${r}.1`;
  const peerIp = `10.255.${r}.2`;
  let pod: Netns;
  let peer: Netns;
  let proxy: BackgroundProcess;

  before(async () => {
    if (skip !== undefined) return;
    pod = await Netns.create('nm-pod');
    peer = await Netns.create('nm-peer');
    await vethPair(pod, peer, { addresses: [[`${podIp}/30`, `${peerIp}/30`]] });
    await peer.spawn(NODE, ['-e', SERVER_SCRIPT, peerIp]).waitFor(/listening/);
    await pod.spawn(NODE, ['-e', APP_SCRIPT]).waitFor(/listening/);
    const init = await pod.exec(NODE, [BIN, 'proxy-init']);
    assert.equal(init.code, 0, init.stdout + init.stderr);
    proxy = pod.spawn('env', [
      'NODEMESH_PROXY_IDENTITY_DISABLED=true',
      'NODEMESH_LOG_FORMAT=json',
      'setpriv',
      '--reuid=2102',
      '--regid=2102',
      '--clear-groups',
      NODE,
      BIN,
      'proxy',
    ]);
    await proxy.waitFor(/"msg":"proxy started"/);
  });
  after(cleanupNetns);

  test('an outbound HTTP request to another pod goes through the proxy to its original destination', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const res = await pod.exec('curl', ['-sS', '--max-time', '10', `http://${peerIp}:8080/path`]);
    assert.equal(res.stdout, `hello from ${peerIp} /path via -`, res.stderr);
    const metrics = await pod.exec('curl', ['-sS', 'http://127.0.0.1:4191/metrics']);
    const outbound = {
      direction: 'outbound',
      tls: 'disabled',
      authority: `${peerIp}:8080`,
      target_addr: `${peerIp}:8080`,
    };
    assert.ok(sumSamples(parsePrometheusText(metrics.stdout), 'request_total', outbound) >= 1, metrics.stdout);
  });

  test('opaque TCP reaches its original destination too, both directions', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const res = await pod.exec(NODE, ['-e', TCP_CLIENT, peerIp]);
    assert.equal(res.stdout.trim(), JSON.stringify('\u0000raw bytes, not HTTP'), res.stderr);
    const metrics = await pod.exec('curl', ['-sS', 'http://127.0.0.1:4191/metrics']);
    const opened = { direction: 'outbound', peer: 'src', tls: 'disabled', target_addr: `${peerIp}:9000` };
    assert.ok(sumSamples(parsePrometheusText(metrics.stdout), 'tcp_open_total', opened) >= 1, metrics.stdout);
  });

  test('an inbound request to the pod is redirected to the inbound listener and reaches the app', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const res = await peer.exec('curl', ['-sS', '--max-time', '10', `http://${podIp}:8081/in`]);
    assert.equal(res.stdout, 'app in the pod saw /in', res.stderr);
    const metrics = await pod.exec('curl', ['-sS', 'http://127.0.0.1:4191/metrics']);
    const inbound = { direction: 'inbound', tls: 'disabled', target_addr: `${podIp}:8081` };
    assert.ok(sumSamples(parsePrometheusText(metrics.stdout), 'request_total', inbound) >= 1, metrics.stdout);
  });
});
