import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FakeClock, catchRejection } from '../testing/index.ts';
import {
  LeaderElector,
  LeaseConflictError,
  MemoryLeaseStore,
  type LeaseRecord,
  type LeaseStore,
  type StoredLease,
} from './leader-election.ts';
import { kubernetesLeaseStore } from './lease-store-kubernetes.ts';
import { FakeApiServer } from './testing.ts';

const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

interface Replica {
  readonly elector: LeaderElector;
  readonly events: string[];
  /** While true, every store call of this replica fails (a network partition). */
  cut: boolean;
}

function replica(name: string, store: LeaseStore, clock: FakeClock): Replica {
  const r: Replica = {
    events: [],
    cut: false,
    elector: undefined as unknown as LeaderElector,
  };
  const partitioned: LeaseStore = {
    name: store.name,
    get: () => (r.cut ? Promise.reject(new Error('partitioned')) : store.get()),
    create: (rec) => (r.cut ? Promise.reject(new Error('partitioned')) : store.create(rec)),
    update: (rec, v) => (r.cut ? Promise.reject(new Error('partitioned')) : store.update(rec, v)),
  };
  (r as { elector: LeaderElector }).elector = new LeaderElector({
    ...TIMING,
    store: partitioned,
    identity: name,
    clock,
    random: () => 0.5,
    onStartedLeading: (signal) => {
      r.events.push('started');
      signal.addEventListener('abort', () => r.events.push('aborted'));
    },
    onStoppedLeading: () => r.events.push('stopped'),
  });
  return r;
}

/** Advances time in 500 ms steps, asserting that at most one replica leads at every step. */
async function run(clock: FakeClock, ms: number, replicas: readonly Replica[]): Promise<void> {
  for (let t = 0; t < ms; t += 500) {
    await clock.advance(500);
    const leaders = replicas.filter((r) => r.elector.isLeader).length;
    assert.ok(leaders <= 1, `at most one leader at every moment (saw ${leaders})`);
  }
}

describe('LeaderElector', () => {
  test('a lone replica creates the lease, leads, and renews it', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore('ns/lease');
    const a = replica('a', store, clock);
    a.elector.start();
    await run(clock, 500, [a]);
    assert.equal(a.elector.isLeader, true);
    assert.deepEqual(a.events, ['started']);
    const first = await store.get();
    await run(clock, 10_000, [a]);
    const later = await store.get();
    assert.equal(later?.record.holderIdentity, 'a');
    assert.ok((later?.record.renewTime?.getTime() ?? 0) > (first?.record.renewTime?.getTime() ?? 0), 'renewed');
    assert.equal(later?.record.leaseTransitions, 0);
    assert.equal(later?.record.leaseDurationSeconds, 15);
    await a.elector.stop();
  });

  test('a second replica waits while the lease is renewed, and takes over at once when it is released', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = replica('a', store, clock);
    const b = replica('b', store, clock);
    a.elector.start();
    await run(clock, 500, [a, b]);
    b.elector.start();
    await run(clock, 60_000, [a, b]);
    assert.equal(a.elector.isLeader, true);
    assert.equal(b.elector.isLeader, false);
    assert.equal(b.elector.leader, 'a', 'the candidate knows who leads');

    await a.elector.stop();
    assert.deepEqual(a.events, ['started', 'aborted', 'stopped']);
    assert.equal((await store.get())?.record.holderIdentity, '', 'released');
    await run(clock, 6_000, [a, b]);
    assert.equal(b.elector.isLeader, true, 'taken over within one jittered retry period');
    assert.equal((await store.get())?.record.leaseTransitions, 1);
    await b.elector.stop();
  });

  test('a partitioned leader steps down at its renew deadline, before anyone else may take over', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = replica('a', store, clock);
    const b = replica('b', store, clock);
    a.elector.start();
    await run(clock, 500, [a, b]);
    b.elector.start();
    await run(clock, 4_000, [a, b]);
    a.cut = true;
    const cutAt = clock.now();
    let aDownAt = 0;
    let bUpAt = 0;
    for (let step = 0; step < 80 && bUpAt === 0; step++) {
      await run(clock, 500, [a, b]);
      if (aDownAt === 0 && !a.elector.isLeader) aDownAt = clock.now();
      if (b.elector.isLeader) bUpAt = clock.now();
    }
    assert.ok(aDownAt > 0 && aDownAt - cutAt <= TIMING.renewDeadlineMs + TIMING.retryPeriodMs, 'a stepped down');
    assert.ok(bUpAt > aDownAt, 'b leads only after a stepped down');
    assert.ok(bUpAt - cutAt >= TIMING.leaseDurationMs - TIMING.retryPeriodMs, 'b waited for the lease to run out');
    assert.deepEqual(a.events, ['started', 'aborted', 'stopped']);

    a.cut = false;
    await run(clock, 20_000, [a, b]);
    assert.equal(a.elector.isLeader, false, 'the old leader comes back as a candidate');
    assert.equal(b.elector.isLeader, true);
    await a.elector.stop();
    await b.elector.stop();
  });

  test('replicas starting together elect exactly one leader', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const replicas = ['a', 'b', 'c'].map((n) => replica(n, store, clock));
    for (const r of replicas) r.elector.start();
    await run(clock, 30_000, replicas);
    assert.equal(replicas.filter((r) => r.elector.isLeader).length, 1);
    for (const r of replicas) await r.elector.stop();
  });

  test('timings that cannot keep one leader are refused', () => {
    const store = new MemoryLeaseStore();
    const base = { store, identity: 'a', onStartedLeading: () => undefined };
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), RangeError);
    assert.throws(() => new LeaderElector({ ...base, retryPeriodMs: 0 }), RangeError);
    assert.throws(() => new LeaderElector({ ...base, identity: '' }), RangeError);
  });
});

describe('kubernetesLeaseStore on the fake API server', () => {
  const servers: FakeApiServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });
  const start = async (): Promise<FakeApiServer> => {
    const server = new FakeApiServer();
    await server.start();
    servers.push(server);
    return server;
  };
  const record = (holder: string): LeaseRecord => ({
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: new Date('2026-11-22T05:00:00.123Z'),
    renewTime: new Date('2026-11-22T05:00:01.456Z'),
    leaseTransitions: 2,
  });

  test('get, create and replace a Lease with optimistic concurrency', async () => {
    const server = await start();
    const store = kubernetesLeaseStore(server.kubeConfig(), 'nodemesh', 'status-writer');
    assert.equal(await store.get(), undefined);
    const created: StoredLease = await store.create(record('a'));
    assert.deepEqual(created.record, record('a'));
    assert.ok(created.resourceVersion.length > 0);
    await catchRejection(() => store.create(record('b')), LeaseConflictError);

    const replaced = await store.update(record('b'), created.resourceVersion);
    assert.equal(replaced.record.holderIdentity, 'b');
    await catchRejection(() => store.update(record('c'), created.resourceVersion), LeaseConflictError);
    assert.equal((await store.get())?.record.holderIdentity, 'b');

    const raw = await fetch(`${server.url}/apis/coordination.k8s.io/v1/namespaces/nodemesh/leases/status-writer`, {
      headers: { authorization: 'Bearer fake-api-server-token' },
    });
    const body = (await raw.json()) as { spec: { renewTime: string } };
    assert.equal(body.spec.renewTime, '2026-11-22T05:00:01.456000Z', 'MicroTime on the wire, as the API server wants');
  });

  test('two electors on the API server: one leads, and the other takes over when it stops', async () => {
    const server = await start();
    const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 100 };
    const leading = new Set<string>();
    const elector = (id: string) =>
      new LeaderElector({
        ...timing,
        identity: id,
        store: kubernetesLeaseStore(server.kubeConfig(), 'nodemesh', 'race'),
        onStartedLeading: () => leading.add(id),
        onStoppedLeading: () => leading.delete(id),
      });
    const a = elector('a');
    const b = elector('b');
    a.start();
    b.start();
    const until = async (ok: () => boolean, what: string) => {
      for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(ok(), what);
    };
    await until(() => leading.size === 1, 'one leader elected');
    const [first] = [...leading];
    const [winner, loser] = first === 'a' ? [a, b] : [b, a];
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual([...leading], [first], 'still exactly one leader after several renewals');
    await winner.stop();
    await until(() => loser.isLeader, 'the other replica took over after the release');
    await loser.stop();
  });
});
