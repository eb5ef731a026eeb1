// The tap hub: the open tap sessions of one proxy, each with its filter, its event limit and its
// rate, and the fan-out of finished requests to them (ADR 0013, "Tap").
//
// Contract: `sessions` is the number of open sessions; the tap layer reads it once per request and
// does nothing more while it is 0. open() answers undefined when `maxSessions` are open already.
// A session receives the requests its filter matches, at most `rate` a second (a token bucket
// holding one second's worth); what it cannot take (over the rate, or its client reading too
// slowly) is counted, in tap_events_dropped_total and in a `dropped` line on its stream at most
// once a second. After `limit` delivered requests the session ends itself (an `end` line).
// closeAll() ends every session (shutdown). Timers come from the injected Clock.

import { Counter, Gauge, type Registry } from '../../src/metrics/index.ts';
import { systemClock, type Clock, type TimerHandle } from '../../src/time/index.ts';
import type { Direction } from '../connection.ts';
import type { TapEndReason, TapLine, TapRequestEvent } from '../../src/api/tap-event.ts';

/** Which requests a session wants; undefined fields match everything. */
export interface TapFilter {
  readonly direction: Direction | undefined;
  /** Compared exactly, ignoring case. */
  readonly authority: string | undefined;
  /** A prefix of the request's path. */
  readonly path: string | undefined;
  /** Upper-case. */
  readonly method: string | undefined;
}

/** What filters look at. */
export interface TapRequestKey {
  readonly direction: Direction;
  readonly authority: string;
  readonly path: string;
  readonly method: string;
}

export function filterMatches(filter: TapFilter, key: TapRequestKey): boolean {
  return (
    (filter.direction === undefined || filter.direction === key.direction) &&
    (filter.method === undefined || filter.method === key.method.toUpperCase()) &&
    (filter.path === undefined || key.path.startsWith(filter.path)) &&
    (filter.authority === undefined || filter.authority === key.authority.toLowerCase())
  );
}

/** Where a session's lines go: the HTTP response of GET /tap. */
export interface TapSink {
  /** Writes one request line; false when the client is not keeping up, and it was not written. */
  offer(line: string): boolean;
  /** Writes a control line (dropped, end) whatever the client's backlog: at most one a second. */
  push(line: string): void;
  /** Ends the stream after the last line. */
  end(): void;
}

export interface TapSessionOptions {
  readonly filter: TapFilter;
  /** Requests to deliver before the session ends itself; undefined: no end. */
  readonly limit: number | undefined;
  /** Requests a second. */
  readonly rate: number;
  readonly sink: TapSink;
}

export type TapDropReason = 'rate' | 'slow_client';

export interface TapHubOptions {
  /** Sessions open at once; open() refuses more. */
  readonly maxSessions: number;
}

export interface TapHubDependencies {
  readonly registry: Registry;
  readonly clock?: Clock;
}

const REPORT_INTERVAL_MS = 1000;

export class TapHub {
  readonly #sessions = new Set<TapSession>();
  readonly #maxSessions: number;
  readonly #clock: Clock;
  readonly #gauge: Gauge;
  readonly #dropped: Counter<'reason'>;
  #nextId = 0;

  constructor(deps: TapHubDependencies, opts: TapHubOptions) {
    this.#maxSessions = opts.maxSessions;
    this.#clock = deps.clock ?? systemClock;
    this.#gauge = new Gauge({
      name: 'tap_sessions',
      help: 'Tap sessions open on the control port.',
      registers: [deps.registry],
    });
    this.#dropped = new Counter({
      name: 'tap_events_dropped_total',
      help: 'Requests a tap session matched but did not receive: over its rate, or its client reading too slowly.',
      labelNames: ['reason'],
      registers: [deps.registry],
    });
  }

  /** Open sessions: the one check the tap layer makes per request. */
  get sessions(): number {
    return this.#sessions.size;
  }

  get maxSessions(): number {
    return this.#maxSessions;
  }

  /** A new session, or undefined when `maxSessions` are open. */
  open(opts: TapSessionOptions): TapSession | undefined {
    if (this.#sessions.size >= this.#maxSessions) return undefined;
    const session = new TapSession(opts, {
      clock: this.#clock,
      onDrop: (reason) => this.#dropped.inc({ reason }),
      onClose: (s) => {
        this.#sessions.delete(s);
        this.#gauge.set(this.#sessions.size);
      },
    });
    this.#sessions.add(session);
    this.#gauge.set(this.#sessions.size);
    return session;
  }

  /** True when some open session would take a request with this key. */
  wants(key: TapRequestKey): boolean {
    for (const s of this.#sessions) if (filterMatches(s.filter, key)) return true;
    return false;
  }

  /** A request id, for a request the tap layer starts recording. */
  nextId(): number {
    return ++this.#nextId;
  }

  /** Hands a finished request to every session whose filter matches it. */
  publish(event: TapRequestEvent): void {
    let line: string | undefined;
    for (const s of this.#sessions) {
      if (!filterMatches(s.filter, event)) continue;
      line ??= `${JSON.stringify(event)}\n`;
      s.offer(line);
    }
  }

  /** Ends every session with an `end` line naming `reason`. */
  closeAll(reason: TapEndReason): void {
    for (const s of [...this.#sessions]) s.close(reason);
  }
}

interface SessionHooks {
  readonly clock: Clock;
  readonly onDrop: (reason: TapDropReason) => void;
  readonly onClose: (session: TapSession) => void;
}

export class TapSession {
  readonly filter: TapFilter;
  readonly rate: number;
  readonly #limit: number | undefined;
  readonly #sink: TapSink;
  readonly #hooks: SessionHooks;
  readonly #capacity: number;
  #tokens: number;
  #refilledAt: number;
  #delivered = 0;
  #droppedSinceReport = 0;
  #droppedTotal = 0;
  #reportedAt: number;
  #reportTimer: TimerHandle | undefined;
  #closed = false;

  constructor(opts: TapSessionOptions, hooks: SessionHooks) {
    this.filter = opts.filter;
    this.rate = opts.rate;
    this.#limit = opts.limit;
    this.#sink = opts.sink;
    this.#hooks = hooks;
    this.#capacity = Math.max(1, opts.rate);
    this.#tokens = this.#capacity;
    this.#refilledAt = hooks.clock.now();
    this.#reportedAt = this.#refilledAt;
  }

  get delivered(): number {
    return this.#delivered;
  }

  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** One matching request, serialized: delivered, or dropped (rate, slow client). */
  offer(line: string): void {
    if (this.#closed) return;
    if (!this.#take()) {
      this.#drop('rate');
      return;
    }
    if (!this.#sink.offer(line)) {
      this.#drop('slow_client');
      return;
    }
    this.#delivered++;
    if (this.#limit !== undefined && this.#delivered >= this.#limit) this.close('limit');
  }

  /**
   * Ends the session. With a reason the proxy ends it: pending drops are reported and an `end`
   * line is written before the stream ends. Without one the client went away: nothing is written.
   */
  close(reason?: TapEndReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reportTimer?.cancel();
    this.#reportTimer = undefined;
    this.#hooks.onClose(this);
    if (reason === undefined) return;
    this.#report();
    this.#writeControl({ type: 'end', reason });
    this.#sink.end();
  }

  #take(): boolean {
    const now = this.#hooks.clock.now();
    const elapsed = now - this.#refilledAt;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsed * this.rate) / 1000);
      this.#refilledAt = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #drop(reason: TapDropReason): void {
    this.#droppedSinceReport++;
    this.#droppedTotal++;
    this.#hooks.onDrop(reason);
    if (this.#reportTimer !== undefined) return;
    const wait = Math.max(0, this.#reportedAt + REPORT_INTERVAL_MS - this.#hooks.clock.now());
    this.#reportTimer = this.#hooks.clock.setTimer(() => {
      this.#reportTimer = undefined;
      if (!this.#closed) this.#report();
    }, wait);
  }

  /** Writes a `dropped` line when requests were dropped since the last one. */
  #report(): void {
    if (this.#droppedSinceReport === 0) return;
    this.#writeControl({ type: 'dropped', count: this.#droppedSinceReport, total: this.#droppedTotal });
    this.#droppedSinceReport = 0;
    this.#reportedAt = this.#hooks.clock.now();
  }

  #writeControl(line: TapLine): void {
    this.#sink.push(`${JSON.stringify(line)}\n`);
  }
}
