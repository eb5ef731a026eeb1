// Converts between Node's address strings ("10.1.2.3", "::1", "2001:db8::1") plus a port and the
// wire messages io.linkerd.proxy.net.{IPAddress,TcpAddress}.
//
// Contract: IPv4 travels as one big-endian uint32 (10.1.2.3 = 0x0a010203); IPv6 as two bigint halves,
// `first` = hextets 1-4 and `last` = hextets 5-8. Strings going in must be bare addresses (no
// brackets, no zone id such as `%eth0`, no leading zeros in IPv4 octets); strings coming out are in
// the canonical form of RFC 5952 (lower case, longest zero run shortened to `::`), with IPv4-mapped
// addresses written `::ffff:10.1.2.3`. Bad strings raise InvalidAddressError; messages that hold no
// valid address raise ProtobufDecodeError. Pure functions, no I/O.

import { MeshError, ProtobufDecodeError, type MeshErrorOptions } from '../errors/index.ts';
import type { IPAddress, TcpAddress } from './gen/io/linkerd/proxy/net/net.ts';

/** A string (address, port or `host:port`) that does not hold a valid IP address and TCP port. */
export class InvalidAddressError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_ADDRESS', message, options);
  }
}

export type IpFamily = 'ipv4' | 'ipv6';

/** A TcpAddress taken apart: the canonical address string, the port, and the family. */
export interface AddressParts {
  readonly host: string;
  readonly port: number;
  readonly family: IpFamily;
}

export interface ParseAddressOptions {
  /** Turn IPv4-mapped IPv6 (`::ffff:10.1.2.3`, what dual-stack sockets report) into plain IPv4. */
  readonly unwrapIpv4Mapped?: boolean;
}

const IPV4_PATTERN =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEXTET_PATTERN = /^[0-9a-fA-F]{1,4}$/;
const UINT64_MAX = (1n << 64n) - 1n;

/** Parses an IPv4 or IPv6 address string into an IPAddress message. */
export function ipAddressFromString(text: string, options: ParseAddressOptions = {}): IPAddress {
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    if (v4 === undefined) throw invalid(text, 'is not an IPv4 address in dotted-quad form');
    return { ip: { $case: 'ipv4', ipv4: v4 } };
  }
  const hextets = parseIpv6(text);
  if (hextets === undefined) throw invalid(text, 'is not an IPv6 address');
  if (options.unwrapIpv4Mapped === true && isIpv4Mapped(hextets)) {
    return { ip: { $case: 'ipv4', ipv4: ((hextets[6] << 16) | hextets[7]) >>> 0 } };
  }
  return { ip: { $case: 'ipv6', ipv6: { first: joinHalf(hextets, 0), last: joinHalf(hextets, 4) } } };
}

/** The canonical string of an IPAddress message. */
export function ipAddressToString(address: IPAddress | undefined): string {
  const ip = address?.ip;
  switch (ip?.$case) {
    case 'ipv4':
      if (!Number.isInteger(ip.ipv4) || ip.ipv4 < 0 || ip.ipv4 > 0xffff_ffff) {
        throw new ProtobufDecodeError(`IPAddress.ipv4 ${ip.ipv4} is not a uint32`);
      }
      return formatIpv4(ip.ipv4);
    case 'ipv6': {
      const { first, last } = ip.ipv6;
      if (first < 0n || first > UINT64_MAX || last < 0n || last > UINT64_MAX) {
        throw new ProtobufDecodeError(`IPAddress.ipv6 halves ${first}/${last} are not uint64`);
      }
      return formatIpv6([...splitHalf(first), ...splitHalf(last)]);
    }
    case undefined:
      throw new ProtobufDecodeError('IPAddress holds neither ipv4 nor ipv6');
  }
}

/** Builds a TcpAddress from an address string and a port (1..65535). */
export function tcpAddressFromParts(host: string, port: number, options: ParseAddressOptions = {}): TcpAddress {
  if (!isPort(port)) throw invalid(String(port), 'is not a TCP port (an integer 1..65535)');
  return { ip: ipAddressFromString(host, options), port };
}

/** Takes a TcpAddress apart into a canonical address string, port and family. */
export function tcpAddressToParts(address: TcpAddress): AddressParts {
  if (!isPort(address.port)) {
    throw new ProtobufDecodeError(`TcpAddress.port ${address.port} is not a TCP port (1..65535)`);
  }
  if (address.ip === undefined) throw new ProtobufDecodeError('TcpAddress has no ip');
  const host = ipAddressToString(address.ip);
  return { host, port: address.port, family: address.ip.ip?.$case === 'ipv4' ? 'ipv4' : 'ipv6' };
}

/** `10.1.2.3:80` or `[2001:db8::1]:443`: the authority form, for logs, labels and Get paths. */
export function formatTcpAddress(address: TcpAddress): string {
  const { host, port, family } = tcpAddressToParts(address);
  return family === 'ipv6' ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses the authority form `10.1.2.3:80` or `[2001:db8::1]:443` into a TcpAddress. */
export function parseTcpAddress(text: string, options: ParseAddressOptions = {}): TcpAddress {
  const bracketed = /^\[([^\]]*)\]:(\d{1,5})$/.exec(text);
  const plain = bracketed === null ? /^([^:[\]]*):(\d{1,5})$/.exec(text) : null;
  const match = bracketed ?? plain;
  const host = match?.[1];
  const port = match?.[2];
  if (host === undefined || port === undefined) {
    throw invalid(text, 'is not `ipv4:port` or `[ipv6]:port`');
  }
  if (bracketed !== null && !host.includes(':')) throw invalid(text, 'brackets an address that is not IPv6');
  try {
    return tcpAddressFromParts(host, Number(port), options);
  } catch (err) {
    if (!(err instanceof InvalidAddressError)) throw err;
    throw new InvalidAddressError(`${JSON.stringify(text)}: ${err.message}`, { cause: err, fields: { input: text } });
  }
}

function invalid(text: string, problem: string): InvalidAddressError {
  return new InvalidAddressError(`${JSON.stringify(text)} ${problem}`, { fields: { input: text } });
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

function parseIpv4(text: string): number | undefined {
  const match = IPV4_PATTERN.exec(text);
  if (match === null) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) value = value * 256 + Number(match[i]);
  return value;
}

/** Eight hextets, or undefined when `text` is not an IPv6 address. */
function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  const head = groups[0] ?? [];
  const tail = groups[1] ?? [];

  // A dotted IPv4 address may stand for the last two hextets.
  const lastList = compressed ? tail : head;
  const lastGroup = lastList.at(-1);
  const trailing: number[] = [];
  if (lastGroup?.includes('.') === true) {
    const v4 = parseIpv4(lastGroup);
    if (v4 === undefined) return undefined;
    lastList.pop();
    trailing.push(v4 >>> 16, v4 & 0xffff);
  }

  const parse = (list: string[]): number[] | undefined => {
    const out: number[] = [];
    for (const group of list) {
      if (!HEXTET_PATTERN.test(group)) return undefined;
      out.push(Number.parseInt(group, 16));
    }
    return out;
  };
  const headValues = parse(head);
  const tailValues = parse(tail);
  if (headValues === undefined || tailValues === undefined) return undefined;

  const explicit = headValues.length + tailValues.length + trailing.length;
  if (compressed) {
    if (explicit > 7) return undefined;
    return [...headValues, ...Array<number>(8 - explicit).fill(0), ...tailValues, ...trailing];
  }
  return explicit === 8 ? [...headValues, ...trailing] : undefined;
}

function isIpv4Mapped(
  hextets: readonly number[],
): hextets is [number, number, number, number, number, number, number, number] {
  return hextets.length === 8 && hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff;
}

function joinHalf(hextets: readonly number[], from: number): bigint {
  let value = 0n;
  for (let i = from; i < from + 4; i++) value = (value << 16n) | BigInt(hextets[i] ?? 0);
  return value;
}

function splitHalf(half: bigint): number[] {
  return [48n, 32n, 16n, 0n].map((shift) => Number((half >> shift) & 0xffffn));
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** RFC 5952 §4: lower-case hex without leading zeros, the longest run (2+) of zero hextets as `::`. */
export function formatIpv6(hextets: readonly number[]): string {
  if (isIpv4Mapped(hextets)) return `::ffff:${formatIpv4(((hextets[6] << 16) | hextets[7]) >>> 0)}`;
  let bestStart = -1;
  let bestLength = 1; // a single zero hextet is never shortened
  for (let i = 0; i < 8;) {
    if (hextets[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = hextets.map((h) => h.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
