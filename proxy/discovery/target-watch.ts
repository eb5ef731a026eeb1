// One shared, ref-counted watch of one target over one kind of stream (Get or GetProfile): the
// engine under DestinationResolver. It keeps the latest snapshot, fans it out to the handles of
// every user, reconnects with backoff, and evicts itself after being unused for a while.
//
// Contract:
// - start() opens the first stream; acquire() hands out a Handle and counts it; the handle's
//   release() uncounts it. At refcount 0 an idle timer of `idleTimeoutMs` starts; acquiring
//   again cancels it; when it fires the watch closes (stream and timers) and calls `onEvict`.
// - While the stream is down the last snapshot keeps being served. The first message of each new
//   stream is applied with `first = true` (it replaces the state); the backoff resets on any
//   message.
// - A stream ending with INVALID_ARGUMENT sets `onInvalid()` as the state and stops retrying.
// - Listeners are called synchronously, only when `apply` returns a different object.

import type { Clock, TimerHandle } from '../../src/time/index.ts';
import { Backoff, type BackoffOptions } from '../../src/time/index.ts';
import type { Handle, Unsubscribe } from './resolver.ts';
import type { DiscoveryMethod, OpenStream, StreamEnd, StreamObserver } from './stream-source.ts';

export interface TargetWatchSpec<M, S> {
  readonly method: DiscoveryMethod;
  readonly authority: string;
  readonly initial: S;
  open(observer: StreamObserver<M>): OpenStream;
  /** The next state; `first` is true for the first message of a stream. Return `current` for no change. */
  apply(current: S, message: M, first: boolean): S;
  onInvalid(): S;
}

export interface TargetWatchEvents {
  streamOpened(method: DiscoveryMethod, addr: string): void;
  streamEnded(method: DiscoveryMethod, addr: string, reason: StreamEnd): void;
  listenerFailed(err: unknown): void;
}

export interface TargetWatchOptions {
  readonly clock: Clock;
  readonly backoff: BackoffOptions;
  readonly idleTimeoutMs: number;
  readonly events: TargetWatchEvents;
  readonly onEvict: () => void;
}

export class TargetWatch<M, S> {
  readonly #spec: TargetWatchSpec<M, S>;
  readonly #opts: TargetWatchOptions;
  readonly #backoff: Backoff;
  readonly #listeners = new Set<(s: S) => void>();
  #state: S;
  #refs = 0;
  #stream: OpenStream | undefined;
  #retry: TimerHandle | undefined;
  #idle: TimerHandle | undefined;
  #closed = false;
  #generation = 0;

  constructor(spec: TargetWatchSpec<M, S>, opts: TargetWatchOptions) {
    this.#spec = spec;
    this.#opts = opts;
    this.#backoff = new Backoff(opts.backoff);
    this.#state = spec.initial;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get refs(): number {
    return this.#refs;
  }

  /** True while a stream is open. */
  get streaming(): boolean {
    return this.#stream !== undefined;
  }

  get state(): S {
    return this.#state;
  }

  start(): void {
    if (!this.#closed && this.#stream === undefined && this.#retry === undefined) this.#open();
  }

  acquire(): Handle<S> {
    this.#refs += 1;
    this.#idle?.cancel();
    this.#idle = undefined;
    const mine = new Set<(s: S) => void>();
    let released = false;
    let last = this.#state;
    const track = (s: S): void => {
      last = s;
    };
    this.#listeners.add(track);
    return {
      current: () => (released ? last : this.#state),
      onChange: (fn): Unsubscribe => {
        if (released) return () => undefined;
        mine.add(fn);
        this.#listeners.add(fn);
        return () => {
          mine.delete(fn);
          this.#listeners.delete(fn);
        };
      },
      release: () => {
        if (released) return;
        released = true;
        last = this.#state;
        this.#listeners.delete(track);
        for (const fn of mine) this.#listeners.delete(fn);
        mine.clear();
        this.#unref();
      },
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream?.cancel();
    this.#stream = undefined;
    this.#retry?.cancel();
    this.#retry = undefined;
    this.#idle?.cancel();
    this.#idle = undefined;
    this.#listeners.clear();
  }

  #unref(): void {
    this.#refs -= 1;
    if (this.#refs > 0 || this.#closed) return;
    this.#idle = this.#opts.clock.setTimer(() => {
      this.#idle = undefined;
      if (this.#refs > 0) return;
      this.close();
      this.#opts.onEvict();
    }, this.#opts.idleTimeoutMs);
  }

  #open(): void {
    this.#retry = undefined;
    const generation = ++this.#generation;
    const method = this.#spec.method;
    let first = true;
    let ended = false;
    let addr = '';
    let opened = false;
    let endReason: StreamEnd = { kind: 'completed' };
    const live = (): boolean => !this.#closed && !ended && generation === this.#generation;
    const observer: StreamObserver<M> = {
      message: (message) => {
        if (!live()) return;
        this.#backoff.reset();
        const next = this.#spec.apply(this.#state, message, first);
        first = false;
        this.#set(next);
      },
      end: (reason) => {
        if (!live()) return;
        ended = true;
        endReason = reason;
        this.#stream = undefined;
        if (opened) this.#opts.events.streamEnded(method, addr, reason);
        switch (reason.kind) {
          case 'invalid-argument':
            this.#set(this.#spec.onInvalid());
            return;
          case 'completed':
          case 'failed':
            this.#retry = this.#opts.clock.setTimer(() => this.#open(), this.#backoff.next());
            return;
        }
      },
    };
    const stream = this.#spec.open(observer);
    addr = stream.addr;
    opened = true;
    this.#opts.events.streamOpened(method, addr);
    // A source may end the stream inside open(); then it is already gone.
    if (ended) this.#opts.events.streamEnded(method, addr, endReason);
    else this.#stream = stream;
  }

  #set(next: S): void {
    if (Object.is(next, this.#state)) return;
    this.#state = next;
    for (const fn of [...this.#listeners]) {
      try {
        fn(next);
      } catch (err) {
        this.#opts.events.listenerFailed(err);
      }
    }
  }
}
