import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRegistry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { FakeClock } from '../../src/testing/index.ts';
import type { TapRequestEvent } from '../../src/api/tap-event.ts';
import { TapHub, type TapFilter, type TapSink } from './tap-hub.ts';

const ANY: TapFilter = { direction: undefined, authority: undefined, path: undefined, method: undefined };

class FakeSink implements TapSink {
  readonly lines: unknown[] = [];
  ended = false;
  /** False: the client is not keeping up, request lines are refused. */
  keepingUp = true;
  offer(line: string): boolean {
    if (!this.keepingUp) return false;
    this.lines.push(JSON.parse(line));
    return true;
  }
  push(line: string): void {
    this.lines.push(JSON.parse(line));
  }
  end(): void {
    this.ended = true;
  }
  get requests(): number[] {
    return this.lines.filter((l): l is TapRequestEvent => (l as TapRequestEvent).type === 'request').map((l) => l.id);
  }
  get control(): unknown[] {
    return this.lines.filter((l) => (l as { type: string }).type !== 'request');
  }
}

let nextId = 0;
function event(fields: Partial<TapRequestEvent> = {}): TapRequestEvent {
  return {
    type: 'request',
    id: ++nextId,
    ts: new Date(0).toISOString(),
    direction: 'outbound',
    method: 'GET',
    scheme: 'http',
    authority: 'web.shop.svc.cluster.local:80',
    path: '/api/items?x=1',
    status: 200,
    grpcStatus: null,
    latencyMs: 1,
    durationMs: 2,
    clientId: null,
    serverId: null,
    tls: false,
    srcAddr: '127.0.0.1:50000',
    dstAddr: '127.0.0.1:8080',
    dstLabels: {},
    route: null,
    proxyError: null,
    error: null,
    ...fields,
  };
}

function setup(maxSessions = 10) {
  const clock = new FakeClock(1_000_000);
  const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
  const hub = new TapHub({ registry, clock }, { maxSessions });
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
    sumSamples(parsePrometheusText(await registry.metrics()), name, labels);
  const open = (opts: { filter?: Partial<TapFilter>; limit?: number; rate?: number } = {}) => {
    const sink = new FakeSink();
    const session = hub.open({
      filter: { ...ANY, ...opts.filter },
      limit: opts.limit,
      rate: opts.rate ?? 100,
      sink,
    });
    return { sink, session };
  };
  return { clock, hub, metric, open };
}

describe('TapHub', () => {
  test('has no sessions and wants nothing until someone taps', () => {
    const { hub } = setup();
    assert.equal(hub.sessions, 0);
    assert.equal(hub.wants(event()), false);
    hub.publish(event());
  });

  const filters: {
    name: string;
    filter: Partial<TapFilter>;
    matches: Partial<TapRequestEvent>[];
    misses: Partial<TapRequestEvent>[];
  }[] = [
    {
      name: 'direction',
      filter: { direction: 'inbound' },
      matches: [{ direction: 'inbound' }],
      misses: [{ direction: 'outbound' }],
    },
    {
      name: 'authority, exactly and ignoring case',
      filter: { authority: 'web.shop.svc.cluster.local:80' },
      matches: [{ authority: 'WEB.shop.svc.cluster.local:80' }],
      misses: [{ authority: 'web.shop.svc.cluster.local:8080' }, { authority: 'web.shop.svc.cluster.local' }],
    },
    {
      name: 'path prefix',
      filter: { path: '/api' },
      matches: [{ path: '/api' }, { path: '/api/items?x=1' }, { path: '/apis' }],
      misses: [{ path: '/' }, { path: '/v1/api' }],
    },
    {
      name: 'method (the filter is upper-case)',
      filter: { method: 'POST' },
      matches: [{ method: 'POST' }, { method: 'post' }],
      misses: [{ method: 'GET' }],
    },
    {
      name: 'all of them at once',
      filter: { direction: 'outbound', method: 'GET', path: '/api/' },
      matches: [{}],
      misses: [{ direction: 'inbound' }, { method: 'PUT' }, { path: '/apx' }],
    },
  ];
  for (const c of filters) {
    test(`filters on ${c.name}`, () => {
      const { hub, open } = setup();
      const { sink } = open({ filter: c.filter });
      const expected: number[] = [];
      for (const fields of c.matches) {
        const e = event(fields);
        assert.equal(hub.wants(e), true, JSON.stringify(fields));
        hub.publish(e);
        expected.push(e.id);
      }
      for (const fields of c.misses) {
        const e = event(fields);
        assert.equal(hub.wants(e), false, JSON.stringify(fields));
        hub.publish(e);
      }
      assert.deepEqual(sink.requests, expected);
    });
  }

  test('ends a session after `limit` delivered requests with an end line, and frees its place', async () => {
    const { hub, open, metric } = setup();
    const { sink, session } = open({ limit: 2 });
    const other = open();
    assert.equal(await metric('tap_sessions'), 2);
    const events = [event(), event(), event()];
    for (const e of events) hub.publish(e);
    assert.deepEqual(sink.requests, [events[0]?.id, events[1]?.id]);
    assert.deepEqual(sink.control, [{ type: 'end', reason: 'limit' }]);
    assert.equal(sink.ended, true);
    assert.equal(session?.closed, true);
    assert.equal(hub.sessions, 1);
    assert.equal(await metric('tap_sessions'), 1);
    assert.equal(other.sink.requests.length, 3, 'the other session goes on');
  });

  test('delivers at most `rate` a second and reports the rest at most once a second', async () => {
    const { hub, open, clock, metric } = setup();
    const { sink } = open({ rate: 2 });
    for (let i = 0; i < 5; i++) hub.publish(event());
    assert.equal(sink.requests.length, 2, 'a burst of one second worth');
    assert.deepEqual(sink.control, [], 'no report before a second has passed');
    await clock.advance(999);
    assert.deepEqual(sink.control, []);
    await clock.advance(1);
    assert.deepEqual(sink.control, [{ type: 'dropped', count: 3, total: 3 }]);
    assert.equal(await metric('tap_events_dropped_total', { reason: 'rate' }), 3);

    // The bucket refilled two tokens in that second; the third request is dropped and reported a
    // second after the last report, not at once.
    for (let i = 0; i < 3; i++) hub.publish(event());
    assert.equal(sink.requests.length, 4);
    await clock.advance(500);
    assert.equal(sink.control.length, 1);
    await clock.advance(500);
    assert.deepEqual(sink.control[1], { type: 'dropped', count: 1, total: 4 });

    // A second refilled the bucket (two tokens at most); half a second refills one.
    for (let i = 0; i < 3; i++) hub.publish(event());
    assert.equal(sink.requests.length, 6);
    await clock.advance(500);
    hub.publish(event());
    assert.equal(sink.requests.length, 7);
    await clock.advance(500);
    assert.deepEqual(sink.control[2], { type: 'dropped', count: 1, total: 5 });
  });

  test('counts requests a slow client cannot take as dropped', async () => {
    const { hub, open, clock, metric } = setup();
    const { sink } = open();
    sink.keepingUp = false;
    hub.publish(event());
    hub.publish(event());
    sink.keepingUp = true;
    hub.publish(event());
    await clock.advance(1000);
    assert.equal(sink.requests.length, 1);
    assert.deepEqual(sink.control, [{ type: 'dropped', count: 2, total: 2 }]);
    assert.equal(await metric('tap_events_dropped_total', { reason: 'slow_client' }), 2);
  });

  test('refuses sessions beyond maxSessions until one closes', () => {
    const { hub, open } = setup(2);
    const a = open();
    open();
    assert.equal(open().session, undefined);
    assert.equal(hub.sessions, 2);
    a.session?.close();
    assert.equal(a.sink.ended, false, 'a client that went away gets nothing more');
    assert.notEqual(open().session, undefined);
  });

  test('turns tap off with maxSessions 0', () => {
    const { open } = setup(0);
    assert.equal(open().session, undefined);
  });

  test('closeAll reports pending drops, then ends every stream with an end line', () => {
    const { hub, open } = setup();
    const a = open({ rate: 1 });
    const b = open();
    hub.publish(event());
    hub.publish(event());
    hub.closeAll('shutdown');
    assert.deepEqual(a.sink.control, [
      { type: 'dropped', count: 1, total: 1 },
      { type: 'end', reason: 'shutdown' },
    ]);
    assert.deepEqual(b.sink.control, [{ type: 'end', reason: 'shutdown' }]);
    assert.equal(a.sink.ended && b.sink.ended, true);
    assert.equal(hub.sessions, 0);
  });
});
