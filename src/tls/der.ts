// DER codec: strict reading and compact writing of the ASN.1 DER subset that X.509 certificates
// and PKCS#10 requests use.
//
// Contract: reading treats its input as hostile. Every read checks bounds against an explicit
// limit, rejects BER-only forms (indefinite or non-minimal lengths, high tag numbers) and throws
// DerError, never anything else. DerError is internal: callers wrap it into the CertificateError or
// CsrError that names what was being parsed. Writing returns fresh Buffers and trusts its
// arguments (the callers build them). Everything here is synchronous and allocation-light, because
// the identity service issues thousands of certificates a second through it.

/** A parse failure inside src/tls; always wrapped before it leaves the folder. */
export class DerError extends Error {
  override name = 'DerError';
}

/** Identifier octets used here (universal class unless noted). */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific, constructed `[n]` (EXPLICIT, or IMPLICIT over a constructed type). */
export function contextConstructed(n: number): number {
  return 0xa0 | n;
}

/** Context-specific, primitive `[n]` (IMPLICIT over a primitive type). */
export function contextPrimitive(n: number): number {
  return 0x80 | n;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** One tag-length-value: offsets into the buffer it was read from. */
export interface Tlv {
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

/** Reads the TLV at `offset`; it must end at or before `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated element at offset ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`unsupported high tag number at offset ${offset}`);
  const first = buf[offset + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new DerError(`indefinite length at offset ${offset} (BER, not DER)`);
    if (count > 4) throw new DerError(`length of ${count} octets at offset ${offset} is too large`);
    if (offset + 2 + count > limit) throw new DerError(`truncated length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[offset + 2 + i]!;
    if (buf[offset + 2] === 0 || length < 0x80) {
      throw new DerError(`non-minimal length encoding at offset ${offset}`);
    }
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`element at offset ${offset} runs past its container`);
  return { tag, start: offset, contentStart, end };
}

/** Reads a buffer that must hold exactly one TLV with the given tag, and nothing after it. */
export function readWhole(buf: Uint8Array, tag: number, what: string): Tlv {
  const tlv = readTlv(buf, 0);
  expectTag(tlv, tag, what);
  if (tlv.end !== buf.length) {
    throw new DerError(`${buf.length - tlv.end} trailing bytes after the ${what}`);
  }
  return tlv;
}

/** The TLVs directly inside a constructed `parent`, which must be filled exactly. */
export function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerError('expected a constructed element');
  const children: Tlv[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readTlv(buf, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** Throws unless `tlv` carries `tag`. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string): asserts tlv is Tlv {
  if (tlv === undefined) throw new DerError(`missing ${what}`);
  if (tlv.tag !== tag) {
    throw new DerError(`expected ${what} (tag 0x${hex2(tag)}) but found tag 0x${hex2(tlv.tag)}`);
  }
}

/** The content octets of `tlv` (a view, not a copy). */
export function contentOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.contentStart, tlv.end);
}

/** The whole encoding of `tlv`, header included (a view, not a copy). */
export function encodingOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end);
}

/** An OBJECT IDENTIFIER in dotted form. */
export function readOid(buf: Uint8Array, tlv: Tlv): string {
  expectTag(tlv, TAG.OID, 'object identifier');
  const bytes = contentOf(buf, tlv);
  if (bytes.length === 0) throw new DerError('empty object identifier');
  let text = '';
  let value = 0;
  let started = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (!started && byte === 0x80) throw new DerError('non-minimal object identifier arc');
    started = true;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('object identifier arc too large');
    if ((byte & 0x80) === 0) {
      if (text === '') {
        text = value < 40 ? `0.${value}` : value < 80 ? `1.${value - 40}` : `2.${value - 80}`;
      } else {
        text += `.${value}`;
      }
      value = 0;
      started = false;
    }
  }
  if (started) throw new DerError('truncated object identifier');
  return text;
}

/** A small non-negative INTEGER (versions, path lengths). */
export function readSmallInteger(buf: Uint8Array, tlv: Tlv, what: string): number {
  const bytes = integerContent(buf, tlv, what);
  if (bytes[0]! & 0x80) throw new DerError(`${what} is negative`);
  if (bytes.length > 4) throw new DerError(`${what} is too large`);
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

/** An INTEGER as lowercase hex of its two's-complement content (serial numbers). */
export function readIntegerHex(buf: Uint8Array, tlv: Tlv, what: string): string {
  return Buffer.from(integerContent(buf, tlv, what)).toString('hex');
}

function integerContent(buf: Uint8Array, tlv: Tlv, what: string): Uint8Array {
  expectTag(tlv, TAG.INTEGER, what);
  const bytes = contentOf(buf, tlv);
  if (bytes.length === 0) throw new DerError(`${what} is empty`);
  if (bytes.length > 1) {
    const a = bytes[0]!;
    const b = bytes[1]!;
    if ((a === 0x00 && b < 0x80) || (a === 0xff && b >= 0x80)) {
      throw new DerError(`${what} is not minimally encoded`);
    }
  }
  return bytes;
}

/** A BOOLEAN (DER: 0x00 or 0xff only). */
export function readBoolean(buf: Uint8Array, tlv: Tlv, what: string): boolean {
  expectTag(tlv, TAG.BOOLEAN, what);
  const bytes = contentOf(buf, tlv);
  if (bytes.length !== 1 || (bytes[0] !== 0x00 && bytes[0] !== 0xff)) {
    throw new DerError(`${what} is not a DER boolean`);
  }
  return bytes[0] === 0xff;
}

/** A BIT STRING: its bytes and the number of unused bits in the last one. */
export function readBitString(
  buf: Uint8Array,
  tlv: Tlv,
  what: string,
): { readonly unusedBits: number; readonly bytes: Uint8Array } {
  expectTag(tlv, TAG.BIT_STRING, what);
  const content = contentOf(buf, tlv);
  if (content.length === 0) throw new DerError(`${what} is empty`);
  const unusedBits = content[0]!;
  if (unusedBits > 7 || (content.length === 1 && unusedBits !== 0)) {
    throw new DerError(`${what} has a bad unused-bits count`);
  }
  const bytes = content.subarray(1);
  if (unusedBits > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new DerError(`${what} has non-zero padding bits`);
  }
  return { unusedBits, bytes };
}

/** A UTCTime or GeneralizedTime in the forms RFC 5280 allows (seconds, `Z`). */
export function readTime(buf: Uint8Array, tlv: Tlv, what: string): Date {
  const text = Buffer.from(contentOf(buf, tlv)).toString('latin1');
  let year: number;
  let rest: string;
  if (tlv.tag === TAG.UTC_TIME) {
    if (!/^\d{12}Z$/.test(text)) throw new DerError(`${what} is not a YYMMDDHHMMSSZ UTCTime`);
    const yy = Number(text.slice(0, 2));
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = text.slice(2);
  } else if (tlv.tag === TAG.GENERALIZED_TIME) {
    if (!/^\d{14}Z$/.test(text)) {
      throw new DerError(`${what} is not a YYYYMMDDHHMMSSZ GeneralizedTime`);
    }
    year = Number(text.slice(0, 4));
    rest = text.slice(4);
  } else {
    throw new DerError(`${what} is neither UTCTime nor GeneralizedTime`);
  }
  const month = Number(rest.slice(0, 2));
  const day = Number(rest.slice(2, 4));
  const hour = Number(rest.slice(4, 6));
  const minute = Number(rest.slice(6, 8));
  const second = Number(rest.slice(8, 10));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw new DerError(`${what} is not a real date and time`);
  }
  return date;
}

/** A directory or IA5 string as text. */
export function readString(buf: Uint8Array, tlv: Tlv, what: string): string {
  const bytes = Buffer.from(contentOf(buf, tlv));
  switch (tlv.tag) {
    case TAG.UTF8_STRING: {
      const text = bytes.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(bytes)) throw new DerError(`${what} is not valid UTF-8`);
      return text;
    }
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
      if (bytes.some((b) => b > 0x7f)) throw new DerError(`${what} has non-ASCII bytes`);
      return bytes.toString('latin1');
    case TAG.T61_STRING:
      return bytes.toString('latin1');
    case TAG.BMP_STRING:
      if (bytes.length % 2 !== 0) throw new DerError(`${what} has an odd length for a BMPString`);
      return bytes.swap16().toString('utf16le');
    case TAG.UNIVERSAL_STRING: {
      if (bytes.length % 4 !== 0) throw new DerError(`${what} has a bad UniversalString length`);
      let text = '';
      for (let i = 0; i < bytes.length; i += 4) text += String.fromCodePoint(bytes.readUInt32BE(i));
      return text;
    }
    default:
      throw new DerError(`${what} has unsupported string tag 0x${hex2(tlv.tag)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Encodes one TLV whose content is the concatenation of `parts`. */
export function encodeTlv(tag: number, ...parts: readonly Uint8Array[]): Buffer {
  let length = 0;
  for (const part of parts) length += part.length;
  const lengthOctets = length < 0x80 ? 0 : length < 0x100 ? 1 : length < 0x10000 ? 2 : 3;
  const out = Buffer.allocUnsafe(2 + lengthOctets + length);
  out[0] = tag;
  let offset = 2;
  if (lengthOctets === 0) {
    out[1] = length;
  } else {
    out[1] = 0x80 | lengthOctets;
    for (let i = lengthOctets - 1; i >= 0; i--) out[offset++] = (length >>> (8 * i)) & 0xff;
  }
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function encodeSequence(...parts: readonly Uint8Array[]): Buffer {
  return encodeTlv(TAG.SEQUENCE, ...parts);
}

export function encodeSet(...parts: readonly Uint8Array[]): Buffer {
  return encodeTlv(TAG.SET, ...parts);
}

/** `[n] EXPLICIT` around an already encoded element. */
export function encodeExplicit(n: number, inner: Uint8Array): Buffer {
  return encodeTlv(contextConstructed(n), inner);
}

/** A non-negative INTEGER from a small number or from big-endian magnitude bytes. */
export function encodeUnsignedInteger(value: number | Uint8Array): Buffer {
  let bytes: Uint8Array;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad integer ${value}`);
    const digits: number[] = [];
    let v = value;
    do {
      digits.unshift(v % 256);
      v = Math.floor(v / 256);
    } while (v > 0);
    bytes = Uint8Array.from(digits);
  } else {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    bytes = value.subarray(start);
  }
  if (bytes.length === 0) bytes = Uint8Array.of(0);
  return bytes[0]! & 0x80 ? encodeTlv(TAG.INTEGER, Uint8Array.of(0), bytes) : encodeTlv(TAG.INTEGER, bytes);
}

export function encodeBoolean(value: boolean): Buffer {
  return encodeTlv(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

export function encodeNull(): Buffer {
  return encodeTlv(TAG.NULL);
}

export function encodeOctetString(bytes: Uint8Array): Buffer {
  return encodeTlv(TAG.OCTET_STRING, bytes);
}

export function encodeBitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  return encodeTlv(TAG.BIT_STRING, Uint8Array.of(unusedBits), bytes);
}

export function encodeUtf8String(text: string): Buffer {
  return encodeTlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
}

export function encodeIa5String(text: string, tag: number = TAG.IA5_STRING): Buffer {
  return encodeTlv(tag, Buffer.from(text, 'latin1'));
}

/** An OBJECT IDENTIFIER from dotted form. */
export function encodeOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) {
    throw new RangeError(`bad object identifier ${dotted}`);
  }
  const out: number[] = [];
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  for (const value of values) {
    const groups: number[] = [];
    let v = value;
    do {
      groups.unshift(v % 128);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < groups.length; i++) out.push(groups[i]! | (i < groups.length - 1 ? 0x80 : 0));
  }
  return encodeTlv(TAG.OID, Uint8Array.from(out));
}

/**
 * A certificate time as RFC 5280 requires: UTCTime for 1950–2049, GeneralizedTime otherwise,
 * whole seconds, `Z`. Milliseconds are dropped (truncated).
 */
export function encodeTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const tail =
    pad2(date.getUTCMonth() + 1) +
    pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds()) +
    'Z';
  if (year >= 1950 && year < 2050) {
    return encodeTlv(TAG.UTC_TIME, Buffer.from(pad2(year % 100) + tail, 'latin1'));
  }
  if (year < 0 || year > 9999) throw new RangeError(`year ${year} cannot be encoded`);
  return encodeTlv(TAG.GENERALIZED_TIME, Buffer.from(String(year).padStart(4, '0') + tail, 'latin1'));
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
