import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from '../../src/metrics/index.ts';
import { DestinationProfile, tcpAddressFromParts, type GetDestination, type Update } from '../../src/api/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { FakeClock } from '../../src/testing/index.ts';
import { endpointsOf, type EndpointSet } from './endpoint.ts';
import { DestinationResolver } from './resolver-destination.ts';
import type { DiscoveryMethod, DiscoveryStreamSource, OpenStream, StreamEnd, StreamObserver } from './stream-source.ts';

const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

interface FakeStream {
  readonly method: DiscoveryMethod;
  readonly request: GetDestination;
  readonly observer: StreamObserver<Update> | StreamObserver<DestinationProfile>;
  cancelled: boolean;
}

/** A stream source the test drives by hand: it records every stream the resolver opens. */
class FakeStreams implements DiscoveryStreamSource {
  readonly opened: FakeStream[] = [];

  get(request: GetDestination, observer: StreamObserver<Update>): OpenStream {
    return this.#open('get', request, observer);
  }
  getProfile(request: GetDestination, observer: StreamObserver<DestinationProfile>): OpenStream {
    return this.#open('get_profile', request, observer);
  }
  live(method: DiscoveryMethod): FakeStream[] {
    return this.opened.filter((s) => s.method === method && !s.cancelled);
  }
  last(method: DiscoveryMethod): FakeStream {
    const s = this.opened.filter((o) => o.method === method).at(-1);
    assert.ok(s, `no ${method} stream opened`);
    return s;
  }
  send(update: Update): void {
    (this.last('get').observer as StreamObserver<Update>).message(update);
  }
  sendProfile(profile: DestinationProfile): void {
    (this.last('get_profile').observer as StreamObserver<DestinationProfile>).message(profile);
  }
  end(method: DiscoveryMethod, reason: StreamEnd): void {
    this.last(method).observer.end(reason);
  }

  #open(
    method: DiscoveryMethod,
    request: GetDestination,
    observer: StreamObserver<Update> | StreamObserver<DestinationProfile>,
  ): OpenStream {
    const s: FakeStream = { method, request, observer, cancelled: false };
    this.opened.push(s);
    return { addr: '127.0.0.1:8086', cancel: () => (s.cancelled = true) };
  }
}

const add = (...hosts: string[]): Update => ({
  update: {
    $case: 'add',
    add: {
      addrs: hosts.map((h) => ({ addr: tcpAddressFromParts(h, 8080), weight: 10_000, metricLabels: {} })),
      metricLabels: {},
      balancerAnnotations: {},
    },
  },
});
const hosts = (set: EndpointSet): string[] => endpointsOf(set).map((e) => e.host);
const failed: StreamEnd = { kind: 'failed', status: 'UNAVAILABLE', message: 'connection refused' };
const WEB = { authority: 'web.shop.svc.cluster.local:80' };

function setup(registry?: Registry) {
  const streams = new FakeStreams();
  const clock = new FakeClock();
  const resolver = new DestinationResolver(
    { streams, log, clock, ...(registry === undefined ? {} : { registry }) },
    { contextToken: '{"ns":"shop"}', backoff: { minMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0.5 } },
  );
  return { streams, clock, resolver };
}

describe('DestinationResolver', () => {
  test('sends scheme k8s, the authority as path, and the context token', () => {
    const { streams, resolver } = setup();
    resolver.resolve(WEB);
    resolver.resolveProfile(WEB);
    assert.deepEqual(streams.last('get').request, {
      scheme: 'k8s',
      path: WEB.authority,
      contextToken: '{"ns":"shop"}',
    });
    assert.deepEqual(streams.last('get_profile').request, streams.last('get').request);
    resolver.close();
  });

  test('shares one stream per target between users and notifies each of them', () => {
    const { streams, resolver } = setup();
    const a = resolver.resolve(WEB);
    const b = resolver.resolve(WEB);
    resolver.resolve({ authority: 'api.shop.svc.cluster.local:80' });
    assert.equal(streams.live('get').length, 2);
    assert.equal(a.current().state.kind, 'pending');
    const seen: string[][] = [];
    a.onChange((s) => seen.push(hosts(s)));
    const unsubscribe = b.onChange((s) => seen.push(hosts(s)));
    streams.opened[0]?.observer.message(add('10.1.0.1') as never);
    assert.deepEqual(seen, [['10.1.0.1'], ['10.1.0.1']]);
    unsubscribe();
    streams.opened[0]?.observer.message(add('10.1.0.1') as never);
    streams.opened[0]?.observer.message(add('10.1.0.2') as never);
    assert.deepEqual(seen.length, 3, 'duplicates are not notified; b unsubscribed');
    assert.deepEqual(hosts(b.current()), ['10.1.0.1', '10.1.0.2']);
    resolver.close();
  });

  test('keeps serving the last endpoints while the stream is down, and the new stream replaces them', async () => {
    const { streams, clock, resolver } = setup();
    const h = resolver.resolve(WEB);
    streams.send(add('10.1.0.1', '10.1.0.2'));
    streams.end('get', failed);
    assert.deepEqual(hosts(h.current()), ['10.1.0.1', '10.1.0.2']);
    assert.equal(resolver.stats().openStreams, 0);
    await clock.advance(99);
    assert.equal(streams.opened.length, 1);
    await clock.advance(1);
    assert.equal(streams.opened.length, 2, 'reconnects after the backoff');
    streams.end('get', failed);
    await clock.advance(199);
    assert.equal(streams.opened.length, 2);
    await clock.advance(1);
    assert.equal(streams.opened.length, 3, 'the backoff doubles');
    assert.deepEqual(hosts(h.current()), ['10.1.0.1', '10.1.0.2'], 'still the last known endpoints');
    streams.send(add('10.1.0.2', '10.1.0.3'));
    assert.deepEqual(hosts(h.current()), ['10.1.0.2', '10.1.0.3'], 'the first message replaced the state');
    streams.send(add('10.1.0.4'));
    assert.deepEqual(hosts(h.current()), ['10.1.0.2', '10.1.0.3', '10.1.0.4'], 'later messages apply on top');
    streams.end('get', { kind: 'completed' });
    await clock.advance(100);
    assert.equal(streams.opened.length, 4, 'a message reset the backoff; a clean end is retried too');
    resolver.close();
  });

  test('evicts a target after it has been unused for the idle timeout', async () => {
    const { streams, clock, resolver } = setup();
    const a = resolver.resolve(WEB);
    a.release();
    a.release();
    await clock.advance(4000);
    const b = resolver.resolve(WEB);
    assert.equal(streams.opened.length, 1, 're-used before the timeout');
    b.release();
    await clock.advance(4999);
    assert.equal(streams.live('get').length, 1);
    await clock.advance(1);
    assert.equal(streams.live('get').length, 0, 'stream cancelled');
    assert.deepEqual(resolver.stats(), { targets: 0, openStreams: 0 });
    assert.deepEqual(clock.pending(), []);
    resolver.resolve(WEB);
    assert.equal(streams.live('get').length, 1, 'a new resolve starts afresh');
    resolver.close();
  });

  test('an evicted target that was retrying stops retrying', async () => {
    const { streams, clock, resolver } = setup();
    resolver.resolve(WEB).release();
    streams.end('get', failed);
    await clock.advance(5000);
    const opened = streams.opened.length;
    await clock.advance(60_000);
    assert.equal(streams.opened.length, opened);
    assert.deepEqual(clock.pending(), []);
  });

  test('GetProfile INVALID_ARGUMENT means no profile, and is not retried', async () => {
    const { streams, clock, resolver } = setup();
    const p = resolver.resolveProfile({ authority: 'example.com:443' });
    assert.equal(p.current().kind, 'pending');
    streams.end('get_profile', { kind: 'invalid-argument', message: 'not a service' });
    assert.equal(p.current().kind, 'none');
    assert.equal(p.profile(), undefined);
    await clock.advance(30_000);
    assert.equal(streams.opened.length, 1);
    resolver.close();
  });

  test('exposes the profile and its compiled form; an identical profile after a reconnect is not notified', async () => {
    const { streams, clock, resolver } = setup();
    const p = resolver.resolveProfile(WEB);
    let changes = 0;
    p.onChange(() => (changes += 1));
    const profile = DestinationProfile.fromPartial({
      fullyQualifiedName: 'web.shop.svc.cluster.local',
      routes: [
        { condition: { match: { $case: 'path', path: { regex: '/books' } } }, metricsLabels: { route: 'books' } },
      ],
    });
    streams.sendProfile(profile);
    assert.equal(p.profile()?.fullyQualifiedName, 'web.shop.svc.cluster.local');
    assert.equal(p.compiled()?.routes.length, 1);
    streams.end('get_profile', failed);
    assert.equal(p.profile()?.fullyQualifiedName, 'web.shop.svc.cluster.local', 'kept while disconnected');
    await clock.advance(100);
    streams.sendProfile(DestinationProfile.fromPartial({ ...profile }));
    assert.equal(changes, 1);
    streams.sendProfile(DestinationProfile.fromPartial({ fullyQualifiedName: 'web.shop.svc.cluster.local' }));
    assert.equal(changes, 2);
    assert.equal(p.compiled()?.routes.length, 0);
    resolver.close();
  });

  test('a released handle keeps its last snapshot and gets no more changes', () => {
    const { streams, resolver } = setup();
    const a = resolver.resolve(WEB);
    const b = resolver.resolve(WEB);
    let calls = 0;
    a.onChange(() => (calls += 1));
    streams.send(add('10.1.0.1'));
    a.release();
    streams.send(add('10.1.0.2'));
    assert.equal(calls, 1);
    assert.deepEqual(hosts(a.current()), ['10.1.0.1']);
    assert.deepEqual(hosts(b.current()), ['10.1.0.1', '10.1.0.2']);
    resolver.close();
  });

  test('a throwing listener does not stop the others', () => {
    const { streams, resolver } = setup();
    const a = resolver.resolve(WEB);
    let got = false;
    a.onChange(() => {
      throw new Error('boom');
    });
    a.onChange(() => (got = true));
    streams.send(add('10.1.0.1'));
    assert.ok(got);
    resolver.close();
  });

  test('counts stream opens and ends by replica and classification', async () => {
    const registry = new Registry();
    const { streams, clock, resolver } = setup(registry);
    resolver.resolve(WEB);
    streams.end('get', failed);
    await clock.advance(100);
    const text = await registry.metrics();
    assert.match(text, /discovery_stream_opens_total\{method="get",addr="127.0.0.1:8086"\} 2/);
    assert.match(
      text,
      /discovery_stream_ends_total\{method="get",addr="127.0.0.1:8086",classification="UNAVAILABLE"\} 1/,
    );
    assert.match(text, /discovery_streams\{method="get"\} 1/);
    resolver.close();
  });
});
