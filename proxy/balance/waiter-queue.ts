// The FIFO of acquire() calls waiting for an endpoint: a doubly linked list, so push, taking the
// head and dropping an aborted waiter from the middle are all O(1). The caller bounds its length.
//
// Contract: each waiter is settled exactly once: resolved by resolveNext()/resolveAll(), or
// rejected with its signal's reason when the signal aborts first (it then leaves the queue). The
// abort listener is removed when the waiter is resolved.

interface Node<T> {
  prev: Node<T> | undefined;
  next: Node<T> | undefined;
  readonly resolve: (value: T) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class WaiterQueue<T> {
  #head: Node<T> | undefined;
  #tail: Node<T> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Queues a waiter at the tail. `signal` must not be aborted already. */
  push(resolve: (value: T) => void, reject: (reason: unknown) => void, signal?: AbortSignal): void {
    const node: Node<T> = { prev: this.#tail, next: undefined, resolve, reject, signal, onAbort: undefined };
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.#size++;
    if (signal !== undefined) {
      node.onAbort = () => {
        this.#unlink(node);
        reject(signal.reason);
      };
      signal.addEventListener('abort', node.onAbort, { once: true });
    }
  }

  /** Resolves the head waiter with `value`; false when the queue is empty. */
  resolveNext(value: T): boolean {
    const node = this.#head;
    if (node === undefined) return false;
    this.#unlink(node);
    node.resolve(value);
    return true;
  }

  /** Resolves every waiter with `value`, in order. */
  resolveAll(value: T): void {
    while (this.resolveNext(value));
  }

  #unlink(node: Node<T>): void {
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
    this.#size--;
    if (node.onAbort !== undefined) {
      node.signal?.removeEventListener('abort', node.onAbort);
      node.onAbort = undefined;
    }
  }
}
