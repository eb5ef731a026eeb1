// The HPACK dynamic table (RFC 7541 §2.3.2, §4): a FIFO of (name, value) entries bounded by size,
// where an entry's size is its name and value octets plus 32.
//
// Contract: strings are latin1 (one character per octet), so `length` is the octet count. Entries
// are numbered by insertion (`seq`, from 0); position 0 is the newest. Adding an entry evicts the
// oldest ones until it fits; an entry larger than the capacity empties the table and is not added
// (§4.4). `onEvict`, when set, hears of every entry that leaves the table, oldest first. The
// capacity is the one in force (set by size updates); checking it against the protocol maximum is
// the caller's job. Each entry carries a `valid` mark its adder gives it (the decoder: whether the
// field's characters passed the connection's check), so a field indexed again is not re-checked.

/** Per-entry overhead of RFC 7541 §4.1. */
export const ENTRY_OVERHEAD = 32;

export type EvictListener = (name: string, value: string, seq: number) => void;

export class DynamicTable {
  #names: string[] = new Array<string>(16).fill('');
  #values: string[] = new Array<string>(16).fill('');
  #valid: boolean[] = new Array<boolean>(16).fill(false);
  #mask = 15;
  #oldest = 0; // ring position of the oldest entry
  #count = 0;
  #size = 0;
  #capacity: number;
  #inserted = 0;
  #oldestSeq = 0;
  onEvict: EvictListener | null = null;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Number of entries. */
  get length(): number {
    return this.#count;
  }

  /** Sum of the entries' sizes. */
  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Position (0 = newest) of the entry numbered `seq`, which must still be in the table. */
  positionOf(seq: number): number {
    return this.#oldestSeq + this.#count - 1 - seq;
  }

  /** Name at position `i` (0 = newest); `i` must be < length. */
  name(i: number): string {
    return this.#names[(this.#oldest + this.#count - 1 - i) & this.#mask]!;
  }

  /** Value at position `i` (0 = newest); `i` must be < length. */
  value(i: number): string {
    return this.#values[(this.#oldest + this.#count - 1 - i) & this.#mask]!;
  }

  /** The `valid` mark of the entry at position `i` (0 = newest); `i` must be < length. */
  valid(i: number): boolean {
    return this.#valid[(this.#oldest + this.#count - 1 - i) & this.#mask]!;
  }

  /**
   * Adds an entry as the newest and returns its seq, or -1 when it is larger than the capacity
   * (the table is then empty).
   */
  add(name: string, value: string, valid = false): number {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    const seq = this.#inserted++;
    if (size > this.#capacity) {
      this.#evictTo(0);
      return -1;
    }
    this.#evictTo(this.#capacity - size);
    if (this.#count === 0) this.#oldestSeq = seq;
    if (this.#count === this.#names.length) this.#grow();
    const at = (this.#oldest + this.#count) & this.#mask;
    this.#names[at] = name;
    this.#values[at] = value;
    this.#valid[at] = valid;
    this.#count++;
    this.#size += size;
    return seq;
  }

  /** Sets the capacity (a dynamic table size update), evicting until the entries fit. */
  setCapacity(capacity: number): void {
    this.#capacity = capacity;
    this.#evictTo(capacity);
  }

  #evictTo(limit: number): void {
    while (this.#size > limit) {
      const at = this.#oldest;
      const name = this.#names[at]!;
      const value = this.#values[at]!;
      this.#names[at] = '';
      this.#values[at] = '';
      this.#oldest = (at + 1) & this.#mask;
      this.#count--;
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
      const seq = this.#oldestSeq++;
      if (this.onEvict !== null) this.onEvict(name, value, seq);
    }
  }

  #grow(): void {
    const n = this.#names.length;
    const names = new Array<string>(n * 2).fill('');
    const values = new Array<string>(n * 2).fill('');
    const valid = new Array<boolean>(n * 2).fill(false);
    for (let i = 0; i < this.#count; i++) {
      names[i] = this.#names[(this.#oldest + i) & this.#mask]!;
      values[i] = this.#values[(this.#oldest + i) & this.#mask]!;
      valid[i] = this.#valid[(this.#oldest + i) & this.#mask]!;
    }
    this.#names = names;
    this.#values = values;
    this.#valid = valid;
    this.#mask = n * 2 - 1;
    this.#oldest = 0;
  }
}
