// A connection's open streams by id: an open-addressing hash table over one plain array (linear
// probing, deletion by backward shift, so no tombstones). Stream ids of one connection are mostly
// consecutive numbers of one parity, so `id >>> 1` spreads them over neighbouring slots and lookups
// rarely probe.
//
// Why not a Map: with a Map here, the HTTP/2 data path lost a quarter of everything it allocated
// to promotion. Under Node's default heap every scavenge kept ~25 % of the young generation alive,
// 25-37 MB/s went to the old generation and a full GC ran every ~170 ms (31 % of the one hop's CPU
// in GC; docs/performance.md, "The stream table and the young generation"). The same proxy with the
// streams in a table of its own promotes ~0.1 % and runs no full GC at all. The Map's own tables,
// rebuilt as streams come and go, are the only thing that changed; a bare Map churned the same way
// in a micro-benchmark did not show it, so the precise retention path inside V8 is not pinned down.
// This table only ever holds the open streams: a deleted slot is cleared at once, and a resize drops
// the old array without linking it to the new one.
//
// Contract: ids are positive integers below 2^31; set() adds or replaces the entry of `item.id`;
// values() is a snapshot in id order, safe to iterate while the table changes. The table keeps at
// most half its slots used; once empty, a table a burst grew past 256 slots goes back to 16.

/** What the table holds: anything with a stream id. */
export interface HasStreamId {
  readonly id: number;
}

const MIN_CAPACITY = 16;
/** An empty table larger than this goes back to MIN_CAPACITY slots. */
const SHRINK_ABOVE = 256;

export class StreamTable<T extends HasStreamId> {
  #slots: (T | undefined)[] = emptySlots(MIN_CAPACITY);
  #mask = MIN_CAPACITY - 1;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = (id >>> 1) & mask; ; i = (i + 1) & mask) {
      const item = slots[i];
      if (item === undefined || item.id === id) return item;
    }
  }

  set(item: T): void {
    if ((this.#size + 1) * 2 > this.#slots.length) this.#resize(this.#slots.length * 2);
    this.#insert(item);
  }

  #insert(item: T): void {
    const slots = this.#slots;
    const mask = this.#mask;
    const id = item.id;
    for (let i = (id >>> 1) & mask; ; i = (i + 1) & mask) {
      const cur = slots[i];
      if (cur === undefined) {
        slots[i] = item;
        this.#size++;
        return;
      }
      if (cur.id === id) {
        slots[i] = item;
        return;
      }
    }
  }

  /** Removes the entry of `id`; false when there was none. */
  delete(id: number): boolean {
    const slots = this.#slots;
    const mask = this.#mask;
    let hole = (id >>> 1) & mask;
    for (; ; hole = (hole + 1) & mask) {
      const item = slots[hole];
      if (item === undefined) return false;
      if (item.id === id) break;
    }
    // Backward shift: move later members of the probe run into the hole when their home slot
    // does not lie (cyclically) after the hole, so every entry stays reachable from its home.
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const item = slots[j];
      if (item === undefined) break;
      const home = (item.id >>> 1) & mask;
      const between = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!between) {
        slots[hole] = item;
        hole = j;
      }
    }
    slots[hole] = undefined;
    this.#size--;
    // Shrink only once empty, and only from a size a burst left behind: a table that shrank as
    // soon as it was mostly empty would grow and shrink over and over as a few streams come and go.
    if (this.#size === 0 && this.#slots.length > SHRINK_ABOVE) this.clear();
    return true;
  }

  /** The entries now, by id (the order streams were opened in, per side). */
  values(): T[] {
    const out: T[] = [];
    for (const item of this.#slots) if (item !== undefined) out.push(item);
    return out.sort(byId);
  }

  clear(): void {
    this.#slots = emptySlots(MIN_CAPACITY);
    this.#mask = MIN_CAPACITY - 1;
    this.#size = 0;
  }

  #resize(capacity: number): void {
    const old = this.#slots;
    this.#slots = emptySlots(capacity);
    this.#mask = capacity - 1;
    this.#size = 0;
    for (const item of old) if (item !== undefined) this.#insert(item);
  }
}

function byId(a: HasStreamId, b: HasStreamId): number {
  return a.id - b.id;
}

function emptySlots<T>(n: number): (T | undefined)[] {
  return new Array<T | undefined>(n).fill(undefined);
}
