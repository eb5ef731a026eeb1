// EndpointPublisher: the Get streams of one (Service, port) and the endpoint set they share
// (Linkerd's port publisher). The set is computed once per change, whatever the number of
// streams, and every stream is sent the same Update objects.
//
// Contract: refresh() recomputes the set from the caches (reusing unchanged translations) and
// sends the diff to every subscriber; the first refresh happens in the constructor. add() sends
// the newcomer the current state at once (the same object to every newcomer until the state
// changes). `send` must not block (it is a StreamQueue's push). Not shared between watchers.

import type { Update } from '../../src/api/index.ts';
import type { ResourceSource } from '../../src/k8s/index.ts';
import { EndpointDiff } from './endpoint-diff.ts';
import { endpointSet, type EndpointSet, type TranslatorOptions } from './endpoint-translator.ts';

export interface PublisherTarget {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
}

export type UpdateSink = (update: Update) => void;

export class EndpointPublisher {
  readonly target: PublisherTarget;
  readonly #source: ResourceSource;
  readonly #options: TranslatorOptions;
  readonly #diff = new EndpointDiff();
  readonly #subscribers = new Set<UpdateSink>();
  #set: EndpointSet = { state: 'missing' };

  constructor(source: ResourceSource, target: PublisherTarget, options: TranslatorOptions) {
    this.#source = source;
    this.target = target;
    this.#options = options;
    this.refresh();
  }

  /** `<namespace>/<name>` of the pods the current endpoints refer to. */
  get pods(): ReadonlySet<string> {
    return this.#set.state === 'exists' ? this.#set.pods : EMPTY;
  }

  get size(): number {
    return this.#subscribers.size;
  }

  add(send: UpdateSink): void {
    this.#subscribers.add(send);
    send(this.#diff.snapshot());
  }

  /** Removes a subscriber; true when none is left. */
  remove(send: UpdateSink): boolean {
    this.#subscribers.delete(send);
    return this.#subscribers.size === 0;
  }

  refresh(): void {
    this.#set = endpointSet(this.#source, this.target, this.#options, this.#set);
    const updates = this.#diff.next(this.#set);
    if (updates.length === 0) return;
    for (const send of [...this.#subscribers]) for (const update of updates) send(update);
  }
}

const EMPTY: ReadonlySet<string> = new Set();
