// HPACK decoder (RFC 7541): one per HTTP/2 connection direction, fed complete header blocks in
// the order the peer sent them.
//
// Contract: decode() returns the fields as a flat [name, value, …] array of latin1 strings (header
// octets, not UTF-8), names exactly as on the wire (the connection layer checks case and pseudo-
// headers). Fields from the static table are the table's string constants; fields from the dynamic
// table are the strings stored there, so repeated fields cost no allocation. Every malformed block
// throws H2ConnectionError('COMPRESSION_ERROR') naming what and the offset in the block; after
// that the decoder's state is undefined and the connection must end. A header list larger than
// maxHeaderListSize (name + value octets + 32 per field) is decoded to the end, so the dynamic
// table stays in step with the peer's encoder, and then throws H2HeaderListTooLarge; the decoder
// remains usable. Synchronous and not reentrant. lastUnchecked lists the fields whose characters
// are not known to be valid: a literal, or a dynamic-table entry the `validField` option did not
// approve when it was added; static-table fields are valid by construction.

/** Approves a field's characters (the connection passes its field check), so it is not checked again. */
export type FieldValidator = (name: string, value: string) => boolean;

import { H2ConnectionError, H2HeaderListTooLarge } from '../errors.ts';
import { DynamicTable, ENTRY_OVERHEAD } from './dynamic-table.ts';
import { huffmanDecode } from './huffman.ts';
import { STATIC_NAMES, STATIC_TABLE_LENGTH, STATIC_VALUES } from './static-table.ts';

export interface HpackDecoderOptions {
  /** Our SETTINGS_HEADER_TABLE_SIZE in force for the first block; default 4096 (the protocol's initial value). */
  readonly maxTableSize?: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE; default 65536. */
  readonly maxHeaderListSize?: number;
  /** Checks each field added to the dynamic table once; without it every dynamic-table field is unchecked. */
  readonly validField?: FieldValidator;
}

interface Latin1Sliceable {
  latin1Slice(start: number, end: number): string;
}

const NONE: readonly number[] = Object.freeze([]);
const MAX_INT = 0xffffffff;

export class HpackDecoder {
  readonly #table: DynamicTable;
  #maxTableSize: number;
  readonly #maxHeaderListSize: number;
  #updateRequired = false;
  #neverIndexed: readonly number[] = NONE;
  #unchecked: readonly number[] = NONE;
  readonly #validField: FieldValidator | undefined;
  #pos = 0;

  constructor(opts: HpackDecoderOptions = {}) {
    this.#maxTableSize = checkSize(opts.maxTableSize ?? 4096, 'maxTableSize');
    this.#maxHeaderListSize = checkSize(opts.maxHeaderListSize ?? 65536, 'maxHeaderListSize');
    this.#table = new DynamicTable(this.#maxTableSize);
    this.#validField = opts.validField;
  }

  /** Field numbers (0 = first field) of the last decode()'s never-indexed fields; a shared empty array when none. */
  get lastNeverIndexed(): readonly number[] {
    return this.#neverIndexed;
  }

  /**
   * Field numbers (0 = first field, ascending) of the last decode()'s fields whose characters are
   * not known to be valid (see the contract above); a shared empty array when none.
   */
  get lastUnchecked(): readonly number[] {
    return this.#unchecked;
  }

  /** The dynamic table's current size and capacity (octets), for tests and diagnostics. */
  get tableSize(): number {
    return this.#table.size;
  }

  get tableCapacity(): number {
    return this.#table.capacity;
  }

  /** Dynamic table entries, newest first, as [name, value] pairs (a copy; for tests and diagnostics). */
  tableEntries(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.#table.length; i++) out.push([this.#table.name(i), this.#table.value(i)]);
    return out;
  }

  /**
   * We advertised a new SETTINGS_HEADER_TABLE_SIZE and the peer acknowledged it. When it is lower
   * than before, the peer's next block must start with a size update no larger than it.
   */
  setMaxTableSize(n: number): void {
    checkSize(n, 'maxTableSize');
    if (n < this.#maxTableSize) this.#updateRequired = true;
    this.#maxTableSize = n;
  }

  /** Decodes one complete header block: flat [name, value, name, value, …]. */
  decode(block: Buffer): string[] {
    const end = block.length;
    const table = this.#table;
    const out: string[] = [];
    let never: number[] | null = null;
    let unchecked: number[] | null = null;
    const validField = this.#validField;
    let field = 0;
    let listSize = 0;
    const listLimit = this.#maxHeaderListSize;
    this.#neverIndexed = NONE;
    this.#unchecked = NONE;
    this.#pos = 0;

    if (this.#updateRequired && (end === 0 || (block[0]! & 0xe0) !== 0x20)) {
      throw compressionError(
        `the block does not start with the dynamic table size update required after SETTINGS_HEADER_TABLE_SIZE was lowered to ${this.#maxTableSize}`,
        0,
      );
    }

    while (this.#pos < end) {
      const at = this.#pos;
      const b = block[at]!;
      let name: string;
      let value: string;
      if (b >= 0x80) {
        // Indexed field (§6.1).
        const index = this.#readInt(block, 7);
        if (index === 0) throw compressionError('indexed field with index 0', at);
        if (index <= STATIC_TABLE_LENGTH) {
          name = STATIC_NAMES[index]!;
          value = STATIC_VALUES[index]!;
        } else {
          const i = index - STATIC_TABLE_LENGTH - 1;
          if (i >= table.length) throw indexError(index, table.length, at);
          name = table.name(i);
          value = table.value(i);
          if (!table.valid(i)) (unchecked ??= []).push(field);
        }
      } else if (b >= 0x40) {
        // Literal with incremental indexing (§6.2.1).
        name = this.#readName(block, 6, at);
        value = this.#readString(block);
        const valid = validField !== undefined && validField(name, value);
        table.add(name, value, valid);
        if (!valid) (unchecked ??= []).push(field);
      } else if (b >= 0x20) {
        // Dynamic table size update (§6.3): only before the first field.
        if (field !== 0) throw compressionError('dynamic table size update after the first field', at);
        const size = this.#readInt(block, 5);
        if (size > this.#maxTableSize) {
          throw compressionError(`dynamic table size update to ${size} is over the maximum ${this.#maxTableSize}`, at);
        }
        table.setCapacity(size);
        this.#updateRequired = false;
        continue;
      } else {
        // Literal without indexing (0000) or never indexed (0001) (§6.2.2, §6.2.3).
        if (b >= 0x10) (never ??= []).push(field);
        name = this.#readName(block, 4, at);
        value = this.#readString(block);
        (unchecked ??= []).push(field);
      }
      field++;
      if (listSize <= listLimit) {
        listSize += name.length + value.length + ENTRY_OVERHEAD;
        if (listSize <= listLimit) out.push(name, value);
      } else {
        listSize += name.length + value.length + ENTRY_OVERHEAD;
      }
    }
    if (listSize > listLimit) throw new H2HeaderListTooLarge(listSize, listLimit);
    if (never !== null) this.#neverIndexed = never;
    if (unchecked !== null) this.#unchecked = unchecked;
    return out;
  }

  /** A literal's name: an index into the tables (prefix of `prefixBits`), or a string when 0. */
  #readName(block: Buffer, prefixBits: number, at: number): string {
    const index = this.#readInt(block, prefixBits);
    if (index === 0) return this.#readString(block);
    if (index <= STATIC_TABLE_LENGTH) return STATIC_NAMES[index]!;
    const i = index - STATIC_TABLE_LENGTH - 1;
    if (i >= this.#table.length) throw indexError(index, this.#table.length, at);
    return this.#table.name(i);
  }

  /** A string literal (§5.2) at the current position. */
  #readString(block: Buffer): string {
    const at = this.#pos;
    if (at >= block.length) throw compressionError('string literal missing at the end of the block', at);
    const huffman = block[at]! >= 0x80;
    const len = this.#readInt(block, 7);
    const start = this.#pos;
    const end = start + len;
    if (end > block.length) {
      throw compressionError(
        `string literal of ${len} octets runs past the end of the block (${block.length} octets)`,
        at,
      );
    }
    this.#pos = end;
    if (huffman) return huffmanDecode(block, start, end, at);
    return (block as unknown as Latin1Sliceable).latin1Slice(start, end);
  }

  /** An integer (§5.1) with a `prefixBits`-bit prefix at the current position; at most 2^32 - 1. */
  #readInt(block: Buffer, prefixBits: number): number {
    const at = this.#pos;
    const end = block.length;
    if (at >= end) throw compressionError('integer missing at the end of the block', at);
    const max = (1 << prefixBits) - 1;
    let value = block[at]! & max;
    let pos = at + 1;
    if (value === max) {
      let scale = 1;
      for (let n = 0; ; n++) {
        if (n === 5) throw compressionError('integer longer than 5 continuation octets', at);
        if (pos >= end) throw compressionError('integer truncated at the end of the block', at);
        const b = block[pos++]!;
        value += (b & 0x7f) * scale;
        if (b < 0x80) break;
        scale *= 128;
      }
      if (value > MAX_INT) throw compressionError(`integer ${value} is over 2^32 - 1`, at);
    }
    this.#pos = pos;
    return value;
  }
}

function compressionError(what: string, offset: number): H2ConnectionError {
  return new H2ConnectionError('COMPRESSION_ERROR', `HPACK: ${what} (offset ${offset})`);
}

function indexError(index: number, dynamicLength: number, offset: number): H2ConnectionError {
  return compressionError(
    `index ${index} is beyond the tables (${STATIC_TABLE_LENGTH} static + ${dynamicLength} dynamic entries)`,
    offset,
  );
}

function checkSize(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_INT)
    throw new RangeError(`${what} must be an integer in [0, 2^32 - 1], got ${n}`);
  return n;
}
