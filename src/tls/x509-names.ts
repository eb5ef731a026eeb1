// Names in X.509: distinguished names (subject, issuer) and GeneralNames (subjectAltName).
//
// Contract: decoders read untrusted DER through der.ts and throw DerError; encoders produce only
// what nodemesh issues (a CN-only Name, DNS-only GeneralNames). Pure and synchronous.

import {
  DerError,
  TAG,
  childrenOf,
  contentOf,
  contextConstructed,
  contextPrimitive,
  encodeIa5String,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeUtf8String,
  expectTag,
  readOid,
  readString,
  type Tlv,
} from './der.ts';
import { OID } from './oids.ts';

/** One attribute of a distinguished name, in order of appearance. */
export interface NameAttribute {
  readonly oid: string;
  /** The value as text; non-string values are shown as `#` + hex of their encoding. */
  readonly value: string;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** Decodes a Name (SEQUENCE OF SET OF AttributeTypeAndValue) into its attributes. */
export function decodeName(buf: Uint8Array, name: Tlv): NameAttribute[] {
  expectTag(name, TAG.SEQUENCE, 'name');
  const attributes: NameAttribute[] = [];
  for (const rdn of childrenOf(buf, name)) {
    expectTag(rdn, TAG.SET, 'relative distinguished name');
    const atvs = childrenOf(buf, rdn);
    if (atvs.length === 0) throw new DerError('empty relative distinguished name');
    for (const atv of atvs) {
      expectTag(atv, TAG.SEQUENCE, 'name attribute');
      const [type, value, extra] = childrenOf(buf, atv);
      if (type === undefined || value === undefined || extra !== undefined) {
        throw new DerError('a name attribute must hold exactly a type and a value');
      }
      const oid = readOid(buf, type);
      let text: string;
      try {
        text = readString(buf, value, 'name attribute value');
      } catch {
        text = '#' + Buffer.from(buf.subarray(value.start, value.end)).toString('hex');
      }
      attributes.push({ oid, value: text });
    }
  }
  return attributes;
}

/** `CN=web, O=shop` style text (RFC 4514 order is reversed; this keeps encoding order). */
export function formatName(attributes: readonly NameAttribute[]): string {
  return attributes.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${a.value.replace(/([,+"\\<>;])/g, '\\$1')}`).join(', ');
}

/** The values of every CN attribute. */
export function commonNamesOf(attributes: readonly NameAttribute[]): string[] {
  return attributes.filter((a) => a.oid === OID.COMMON_NAME).map((a) => a.value);
}

/** A Name holding only `CN=<commonName>` (UTF8String, as RFC 5280 recommends). */
export function encodeCommonNameOnly(commonName: string): Buffer {
  return encodeSequence(encodeSet(encodeSequence(encodeOid(OID.COMMON_NAME), encodeUtf8String(commonName))));
}

/** The empty Name (an empty SEQUENCE). */
export function encodeEmptyName(): Buffer {
  return encodeSequence();
}

/** One entry of a subjectAltName (or any GeneralNames). */
export type GeneralName =
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'ip'; readonly value: string }
  | { readonly type: 'other'; readonly value: string };

/** Decodes GeneralNames (SEQUENCE OF GeneralName). */
export function decodeGeneralNames(buf: Uint8Array, names: Tlv): GeneralName[] {
  expectTag(names, TAG.SEQUENCE, 'general names');
  return childrenOf(buf, names).map((name) => decodeGeneralName(buf, name));
}

function decodeGeneralName(buf: Uint8Array, name: Tlv): GeneralName {
  switch (name.tag) {
    case contextPrimitive(1):
      return { type: 'email', value: ia5(buf, name, 'e-mail name') };
    case contextPrimitive(2):
      return { type: 'dns', value: ia5(buf, name, 'DNS name') };
    case contextPrimitive(6):
      return { type: 'uri', value: ia5(buf, name, 'URI') };
    case contextPrimitive(7):
      return { type: 'ip', value: formatIp(contentOf(buf, name)) };
    case contextConstructed(0):
      return { type: 'other', value: 'otherName' };
    case contextConstructed(3):
      return { type: 'other', value: 'x400Address' };
    case contextConstructed(4):
      return { type: 'other', value: 'directoryName' };
    case contextConstructed(5):
      return { type: 'other', value: 'ediPartyName' };
    case contextPrimitive(8):
      return { type: 'other', value: 'registeredID' };
    default:
      throw new DerError(`unknown general name tag 0x${name.tag.toString(16)}`);
  }
}

function ia5(buf: Uint8Array, tlv: Tlv, what: string): string {
  return readString(buf, { ...tlv, tag: TAG.IA5_STRING }, what);
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new DerError(`IP address of ${bytes.length} bytes`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Compress the longest run of two or more zero groups (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** GeneralNames holding only dNSName entries. */
export function encodeDnsGeneralNames(names: readonly string[]): Buffer {
  return encodeSequence(...names.map((n) => encodeIa5String(n, contextPrimitive(2))));
}
