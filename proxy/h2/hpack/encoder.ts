// HPACK encoder (RFC 7541): one per HTTP/2 connection direction; blocks must be sent in the order
// they were encoded.
//
// Contract: fields are a flat [name, value, …] array of latin1 strings (header octets), encoded
// as given (names should already be lower case). Each field is sent as, in order of preference:
// an indexed field when the static or dynamic table holds exactly it (looked up through Maps, not
// a scan), otherwise a literal whose name is indexed when a table holds the name, with the
// string Huffman-coded when that is shorter. Synchronous and not reentrant.
//
// Indexing policy (which literals go into the dynamic table):
// - Never indexed (RFC 7541 §7.1.3; an intermediary keeps the representation): the field numbers
//   the caller passes in `neverIndexed` (the decoder's lastNeverIndexed, when forwarding),
//   `authorization`, `proxy-authorization`, and `cookie` values shorter than 20 octets (what
//   nghttp2 does: short cookies are guessable from the compressed size). These are not looked up
//   as exact matches either.
// - Not indexed (sent as literals without indexing, name still indexed): values that change on
//   nearly every message and would only churn the table: content-length, content-range, date,
//   age, expires, last-modified, etag and the conditional request fields (if-*), range,
//   set-cookie, grpc-timeout, grpc-message, and per-request trace or request ids (x-request-id,
//   traceparent, tracestate, b3, x-b3-traceid, x-b3-spanid, x-b3-parentspanid, x-amzn-trace-id,
//   x-cloud-trace-context, l5d-ctx-trace), except when neither table holds the name yet: that
//   first value is indexed so that later values can name it with an index instead of a literal
//   name (one entry per name, not one per message). Also not indexed: `:path` longer than 96
//   octets or with a query string (gRPC method paths are short and repeat; long or query paths
//   mostly do not), and any entry larger than half the table (it would evict most of it for a
//   value unlikely to repeat), which covers entries larger than the table.
// - Everything else is indexed (literal with incremental indexing), so a connection's repeated
//   fields (:authority, content-type, te, user-agent, grpc-encoding, custom metadata…) cost one
//   octet from the second message on.
//
// Table size: the table's capacity is min(our maxTableSize, the peer's SETTINGS_HEADER_TABLE_SIZE).
// After setPeerMaxTableSize, the next block starts with the size update(s) RFC 7541 §4.2 asks
// for: the smallest capacity since the last block when it is below the final one, then the final
// one.

import { DynamicTable, ENTRY_OVERHEAD } from './dynamic-table.ts';
import { huffmanEncode, huffmanEncodedLength } from './huffman.ts';
import { STATIC_TABLE_LENGTH, staticName } from './static-table.ts';
import { Buffer } from 'node:buffer';

export interface HpackEncoderOptions {
  /** The largest dynamic table we are willing to keep for the peer (octets); default 4096. */
  readonly maxTableSize?: number;
}

/**
 * What the tables hold for one name: its static index and values (when it is a static name), and
 * the seq of its newest dynamic entry (-1 when none) with each dynamic value's seq. Kept for
 * static names once seen and for names with dynamic entries, so one Map lookup finds both.
 */
interface NameRecord {
  readonly staticIndex: number;
  readonly staticValues: ReadonlyMap<string, number> | null;
  seq: number;
  readonly values: Map<string, number>;
}

const INITIAL_TABLE_SIZE = 4096; // RFC 9113 §6.5.2
const MAX_INT = 0xffffffff;
const MAX_INDEXED_PATH = 96;
const SHORT_COOKIE = 20;

const NOT_INDEXED: ReadonlySet<string> = new Set([
  'content-length',
  'content-range',
  'date',
  'age',
  'expires',
  'last-modified',
  'etag',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'range',
  'set-cookie',
  'grpc-timeout',
  'grpc-message',
  'x-request-id',
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-amzn-trace-id',
  'x-cloud-trace-context',
  'l5d-ctx-trace',
]);

// Representation prefixes (RFC 7541 §6).
const INDEXED = 0x80;
const INCREMENTAL = 0x40;
const SIZE_UPDATE = 0x20;
const NEVER_INDEXED = 0x10;
const WITHOUT_INDEXING = 0x00;
/** Octets an integer takes at most: the prefix octet and 5 continuations. */
const MAX_INT_OCTETS = 6;

/**
 * Where encodeShared writes: one buffer for every encoder, since JavaScript runs one encode at a
 * time and the caller copies the block into its frame at once. Grown for a larger block up to
 * SHARED_KEEP_LIMIT; a block beyond that gets a buffer of its own.
 */
let shared = Buffer.allocUnsafeSlow(4096);
const SHARED_KEEP_LIMIT = 64 * 1024;

export class HpackEncoder {
  /** The length of the block the last encodeShared call wrote. */
  lastLength = 0;
  readonly #maxTableSize: number;
  readonly #table: DynamicTable;
  readonly #names = new Map<string, NameRecord>();
  #pendingMin = -1;
  #pendingFinal = -1;

  constructor(opts: HpackEncoderOptions = {}) {
    const max = opts.maxTableSize ?? INITIAL_TABLE_SIZE;
    if (!Number.isInteger(max) || max < 0 || max > MAX_INT) {
      throw new RangeError(`maxTableSize must be an integer in [0, 2^32 - 1], got ${max}`);
    }
    this.#maxTableSize = max;
    this.#table = new DynamicTable(INITIAL_TABLE_SIZE);
    this.#table.onEvict = (name, value, seq) => {
      const record = this.#names.get(name);
      if (record === undefined) return;
      if (record.values.get(value) === seq) record.values.delete(value);
      if (record.values.size === 0) {
        record.seq = -1;
        if (record.staticIndex === 0) this.#names.delete(name);
      }
    };
    if (max < INITIAL_TABLE_SIZE) this.#resize(max);
  }

  /** The dynamic table's current size and capacity (octets), for tests and diagnostics. */
  get tableSize(): number {
    return this.#table.size;
  }

  get tableCapacity(): number {
    return this.#table.capacity;
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE changed: the next block starts with a size update. */
  setPeerMaxTableSize(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > MAX_INT) {
      throw new RangeError(`SETTINGS_HEADER_TABLE_SIZE must be an integer in [0, 2^32 - 1], got ${n}`);
    }
    this.#resize(Math.min(this.#maxTableSize, n));
  }

  /**
   * Encodes flat [name, value, …]; `neverIndexed`: field numbers (0 = first field) to send as
   * never-indexed (an intermediary must keep that representation, RFC 7541 §7.1.3).
   */
  encode(fields: readonly string[], neverIndexed?: readonly number[]): Buffer {
    const out = Buffer.allocUnsafe(encodedBound(fields));
    return out.subarray(0, this.#encodeTo(out, fields, neverIndexed));
  }

  /**
   * As encode(), without a buffer of its own: returns a buffer whose first `lastLength` octets are
   * the block, valid only until the next encodeShared of any encoder (copy it into the frame at
   * once). The connection's path, where a block is copied into its HEADERS frame anyway.
   */
  encodeShared(fields: readonly string[], neverIndexed?: readonly number[]): Buffer {
    const bound = encodedBound(fields);
    let out = shared;
    if (bound > out.length) {
      out = Buffer.allocUnsafeSlow(Math.max(bound, 2 * out.length));
      if (out.length <= SHARED_KEEP_LIMIT) shared = out;
    }
    this.lastLength = this.#encodeTo(out, fields, neverIndexed);
    return out;
  }

  /** Encodes into `out` (at least encodedBound(fields) long) from offset 0; returns the length. */
  #encodeTo(out: Buffer, fields: readonly string[], neverIndexed: readonly number[] | undefined): number {
    const count = fields.length >>> 1;
    let o = 0;

    if (this.#pendingFinal >= 0) {
      if (this.#pendingMin < this.#pendingFinal) o = writeInt(out, o, SIZE_UPDATE, 5, this.#pendingMin);
      o = writeInt(out, o, SIZE_UPDATE, 5, this.#pendingFinal);
      this.#pendingMin = -1;
      this.#pendingFinal = -1;
    }

    const table = this.#table;
    const hasNever = neverIndexed !== undefined && neverIndexed.length > 0;
    for (let f = 0; f < count; f++) {
      const name = fields[2 * f]!;
      const value = fields[2 * f + 1]!;
      const sensitive =
        (hasNever && neverIndexed.includes(f)) ||
        name === 'authorization' ||
        name === 'proxy-authorization' ||
        (name === 'cookie' && value.length < SHORT_COOKIE);
      const record = this.#lookup(name);
      let nameIndex = 0;
      if (record !== undefined) {
        if (!sensitive) {
          const s = record.staticValues?.get(value);
          if (s !== undefined) {
            o = writeInt(out, o, INDEXED, 7, s);
            continue;
          }
          const d = record.seq < 0 ? undefined : record.values.get(value);
          if (d !== undefined) {
            o = writeInt(out, o, INDEXED, 7, STATIC_TABLE_LENGTH + 1 + table.positionOf(d));
            continue;
          }
        }
        nameIndex =
          record.staticIndex !== 0
            ? record.staticIndex
            : record.seq >= 0
              ? STATIC_TABLE_LENGTH + 1 + table.positionOf(record.seq)
              : 0;
      }
      if (sensitive) {
        o = writeInt(out, o, NEVER_INDEXED, 4, nameIndex);
      } else if (this.#shouldIndex(name, value, nameIndex !== 0)) {
        o = writeInt(out, o, INCREMENTAL, 6, nameIndex);
        this.#insert(name, value);
      } else {
        o = writeInt(out, o, WITHOUT_INDEXING, 4, nameIndex);
      }
      if (nameIndex === 0) o = writeString(out, o, name);
      o = writeString(out, o, value);
    }
    return o;
  }

  /** The indexing policy of the file header, for a field that is not sensitive. */
  #shouldIndex(name: string, value: string, nameIndexed: boolean): boolean {
    if ((name.length + value.length + ENTRY_OVERHEAD) * 2 > this.#table.capacity) return false;
    if (name === ':path') return value.length <= MAX_INDEXED_PATH && !value.includes('?');
    return !nameIndexed || !NOT_INDEXED.has(name);
  }

  /** The record of `name`, made on first sight of a static name; undefined for other unknown names. */
  #lookup(name: string): NameRecord | undefined {
    const record = this.#names.get(name);
    if (record !== undefined) return record;
    const stat = staticName(name);
    if (stat === undefined) return undefined;
    const made: NameRecord = { staticIndex: stat.index, staticValues: stat.values, seq: -1, values: new Map() };
    this.#names.set(name, made);
    return made;
  }

  #insert(name: string, value: string): void {
    const seq = this.#table.add(name, value);
    if (seq < 0) return;
    let record = this.#names.get(name);
    if (record === undefined) {
      record = { staticIndex: 0, staticValues: null, seq, values: new Map() };
      this.#names.set(name, record);
    }
    record.seq = seq;
    record.values.set(value, seq);
  }

  #resize(capacity: number): void {
    this.#table.setCapacity(capacity);
    if (this.#pendingMin < 0 || capacity < this.#pendingMin) this.#pendingMin = capacity;
    this.#pendingFinal = capacity;
  }
}

/** The most octets `fields` can encode to (size updates included); throws on an odd-length list. */
function encodedBound(fields: readonly string[]): number {
  if ((fields.length & 1) !== 0) {
    throw new RangeError(`fields must be [name, value, …] pairs, got ${fields.length} strings`);
  }
  let bound = 2 * MAX_INT_OCTETS;
  for (let i = 0; i < fields.length; i++) bound += fields[i]!.length + MAX_INT_OCTETS;
  return bound + (fields.length >>> 1) * MAX_INT_OCTETS;
}

/** Writes an integer (RFC 7541 §5.1) with a `prefixBits`-bit prefix after the `flags` bits. */
function writeInt(out: Buffer, offset: number, flags: number, prefixBits: number, value: number): number {
  let o = offset;
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[o++] = flags | value;
    return o;
  }
  out[o++] = flags | max;
  let rest = value - max;
  while (rest >= 0x80) {
    out[o++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  out[o++] = rest;
  return o;
}

/** Writes a string literal (RFC 7541 §5.2), Huffman-coded when that is shorter. */
function writeString(out: Buffer, offset: number, s: string): number {
  const huffman = huffmanEncodedLength(s);
  if (huffman < s.length) {
    const o = writeInt(out, offset, 0x80, 7, huffman);
    return huffmanEncode(s, out, o);
  }
  let o = writeInt(out, offset, 0x00, 7, s.length);
  if (s.length < 32) {
    for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
    return o;
  }
  return o + out.write(s, o, s.length, 'latin1');
}
