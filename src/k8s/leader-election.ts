// Lease-based leader election among the replicas of a controller (coordination.k8s.io/v1), for
// the few things only one replica may do at a time (writing route status). Every replica serves
// reads whether it leads or not.
//
// Contract: the semantics of client-go's leaderelection package. Each replica tries every
// `retryPeriodMs` (candidates with jitter) to create the Lease or, when the holder's lease has run
// out, to take it over with an optimistic-concurrency update; the leader renews at the same period.
// Expiry is judged by the LOCAL clock from when this replica last saw the Lease change (not by the
// holder's renewTime), so clock skew between nodes does not matter. A leader that cannot renew
// within `renewDeadlineMs` steps down before its lease (`leaseDurationMs`) can run out elsewhere,
// so two replicas never both act as leader on their own clocks. `onStartedLeading` gets a signal
// that aborts when leadership ends; `stop()` releases a held lease so a successor need not wait.

import type { Logger } from '../log/index.ts';
import { systemClock, type Clock, type TimerHandle } from '../time/index.ts';

/** What a Lease holds, as the elector reads and writes it. */
export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: Date | undefined;
  readonly renewTime: Date | undefined;
  readonly leaseTransitions: number;
}

/** A stored Lease: its record and the resourceVersion an update must name. */
export interface StoredLease {
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
}

/** Thrown by a LeaseStore when a create finds the Lease, or an update finds it changed. */
export class LeaseConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

/** Where the Lease lives (the Kubernetes API, or memory in tests). */
export interface LeaseStore {
  /** A description for logs, e.g. `nodemesh/nodemesh-destination-status`. */
  readonly name: string;
  get(): Promise<StoredLease | undefined>;
  /** Creates the Lease; LeaseConflictError when it exists. */
  create(record: LeaseRecord): Promise<StoredLease>;
  /** Replaces the Lease if it is still at `resourceVersion`; LeaseConflictError otherwise. */
  update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease>;
}

export interface LeaderElectionOptions {
  readonly store: LeaseStore;
  /** This replica's name in the Lease (its pod name). */
  readonly identity: string;
  /** How long a lease lasts without renewal (default 15 s). */
  readonly leaseDurationMs?: number;
  /** How long a leader keeps trying to renew before it steps down (default 10 s; < leaseDurationMs). */
  readonly renewDeadlineMs?: number;
  /** The period of every try (default 2 s; < renewDeadlineMs). */
  readonly retryPeriodMs?: number;
  readonly clock?: Clock;
  /** Random source in [0, 1) for the candidates' jitter. */
  readonly random?: () => number;
  readonly log?: Logger;
  /** Called when this replica becomes leader; `signal` aborts when it stops leading. */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  readonly onStoppedLeading?: () => void;
  /** Called when the observed leader changes (this replica included). */
  readonly onNewLeader?: (identity: string) => void;
}

const DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
/** client-go's JitterFactor: a candidate waits retryPeriod × (1 + up to 1.2). */
const JITTER_FACTOR = 1.2;

export class LeaderElector {
  readonly #opts: LeaderElectionOptions;
  readonly #leaseMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  #timer: TimerHandle | undefined;
  #running = false;
  #tick: Promise<void> | undefined;
  #observed: StoredLease | undefined;
  #observedAt = 0;
  #leading: AbortController | undefined;
  #lastRenewAt = 0;
  #leader: string | undefined;

  constructor(options: LeaderElectionOptions) {
    const leaseMs = options.leaseDurationMs ?? DEFAULTS.leaseDurationMs;
    const renewDeadlineMs = options.renewDeadlineMs ?? DEFAULTS.renewDeadlineMs;
    const retryMs = options.retryPeriodMs ?? DEFAULTS.retryPeriodMs;
    if (!(retryMs > 0 && retryMs < renewDeadlineMs && renewDeadlineMs < leaseMs)) {
      throw new RangeError(
        `leader election needs 0 < retryPeriod (${retryMs} ms) < renewDeadline (${renewDeadlineMs} ms) < leaseDuration (${leaseMs} ms)`,
      );
    }
    if (options.identity.length === 0) throw new RangeError('leader election needs a non-empty identity');
    this.#opts = options;
    this.#leaseMs = leaseMs;
    this.#renewDeadlineMs = renewDeadlineMs;
    this.#retryMs = retryMs;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  /** True while this replica holds the lease and has renewed it within the renew deadline. */
  get isLeader(): boolean {
    return this.#leading !== undefined;
  }

  /** The holder this replica last saw (itself when leading), or undefined. */
  get leader(): string | undefined {
    return this.#leader;
  }

  /** Starts trying at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops trying; a leader steps down and releases the lease. Resolves once that is written. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#tick;
    if (this.#leading === undefined) return;
    this.#stepDown('stopped');
    const observed = this.#observed;
    if (observed === undefined || observed.record.holderIdentity !== this.#opts.identity) return;
    try {
      // client-go's ReleaseOnCancel: an empty holder and a 1 s lease let a successor take over now.
      await this.#opts.store.update(
        { ...observed.record, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new Date(this.#clock.now()) },
        observed.resourceVersion,
      );
      this.#opts.log?.info({ lease: this.#opts.store.name, identity: this.#opts.identity }, 'leader lease released');
    } catch (err) {
      this.#opts.log?.warn({ lease: this.#opts.store.name, err }, 'could not release the leader lease');
    }
  }

  #schedule(ms: number): void {
    if (!this.#running) return;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#tick = this.#tryOnce().finally(() => {
        this.#tick = undefined;
        const wait = this.isLeader ? this.#retryMs : this.#retryMs * (1 + JITTER_FACTOR * this.#random());
        this.#schedule(wait);
      });
    }, ms);
  }

  async #tryOnce(): Promise<void> {
    let acquired: boolean;
    try {
      acquired = await this.#tryAcquireOrRenew();
    } catch (err) {
      acquired = false;
      this.#opts.log?.warn({ lease: this.#opts.store.name, err }, 'leader lease could not be read or written');
    }
    if (!this.#running) return;
    const now = this.#clock.now();
    if (acquired) {
      this.#lastRenewAt = now;
      if (this.#leading === undefined) this.#startLeading();
    } else if (this.#leading !== undefined) {
      const lostToAnother = this.#leader !== undefined && this.#leader !== this.#opts.identity;
      if (lostToAnother) this.#stepDown('another replica holds the lease');
      else if (now - this.#lastRenewAt >= this.#renewDeadlineMs) this.#stepDown('renew deadline passed');
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { store, identity } = this.#opts;
    const now = this.#clock.now();
    const mine = (previous: LeaseRecord | undefined): LeaseRecord => {
      const held = previous?.holderIdentity === identity;
      return {
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(this.#leaseMs / 1000),
        acquireTime: held ? previous.acquireTime : new Date(now),
        renewTime: new Date(now),
        leaseTransitions: previous === undefined ? 0 : previous.leaseTransitions + (held ? 0 : 1),
      };
    };
    const current = await store.get();
    if (current === undefined) {
      try {
        this.#observe(await store.create(mine(undefined)), now);
        return true;
      } catch (err) {
        if (err instanceof LeaseConflictError) return false;
        throw err;
      }
    }
    if (this.#observed?.resourceVersion !== current.resourceVersion) this.#observe(current, now);
    const holder = current.record.holderIdentity;
    const expiresAt = this.#observedAt + current.record.leaseDurationSeconds * 1000;
    if (holder !== '' && holder !== identity && expiresAt > now) return false;
    try {
      this.#observe(await store.update(mine(current.record), current.resourceVersion), now);
      return true;
    } catch (err) {
      if (err instanceof LeaseConflictError) return false;
      throw err;
    }
  }

  #observe(lease: StoredLease, now: number): void {
    this.#observed = lease;
    this.#observedAt = now;
    const holder = lease.record.holderIdentity;
    if (holder !== '' && holder !== this.#leader) {
      this.#leader = holder;
      this.#opts.log?.info({ lease: this.#opts.store.name, leader: holder }, 'leader observed');
      this.#opts.onNewLeader?.(holder);
    }
  }

  #startLeading(): void {
    const leading = new AbortController();
    this.#leading = leading;
    this.#opts.log?.info({ lease: this.#opts.store.name, identity: this.#opts.identity }, 'became leader');
    this.#opts.onStartedLeading(leading.signal);
  }

  #stepDown(reason: string): void {
    const leading = this.#leading;
    if (leading === undefined) return;
    this.#leading = undefined;
    this.#opts.log?.warn({ lease: this.#opts.store.name, identity: this.#opts.identity, reason }, 'stopped leading');
    leading.abort(new Error(`leadership ended: ${reason}`));
    this.#opts.onStoppedLeading?.();
  }
}

/** An in-memory LeaseStore with the API server's optimistic concurrency (for tests and local mode). */
export class MemoryLeaseStore implements LeaseStore {
  readonly name: string;
  #lease: StoredLease | undefined;
  #version = 0;

  constructor(name = 'memory') {
    this.name = name;
  }

  get(): Promise<StoredLease | undefined> {
    return Promise.resolve(this.#lease);
  }

  create(record: LeaseRecord): Promise<StoredLease> {
    if (this.#lease !== undefined) return Promise.reject(new LeaseConflictError(`lease ${this.name} already exists`));
    return Promise.resolve(this.#store(record));
  }

  update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease> {
    if (this.#lease?.resourceVersion !== resourceVersion) {
      return Promise.reject(new LeaseConflictError(`lease ${this.name} changed since version ${resourceVersion}`));
    }
    return Promise.resolve(this.#store(record));
  }

  #store(record: LeaseRecord): StoredLease {
    this.#version += 1;
    this.#lease = Object.freeze({ record: Object.freeze({ ...record }), resourceVersion: String(this.#version) });
    return this.#lease;
  }
}
