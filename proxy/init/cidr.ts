// Subnets in CIDR notation (`10.0.0.0/8`, `fd00::/8`), parsed and written the way iptables-save
// writes them: host bits cleared, IPv6 in its compressed lowercase form.
//
// Contract: pure functions. A bare address is a host subnet (/32 or /128).

import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 'ipv4' | 'ipv6';

export interface Cidr {
  readonly family: IpFamily;
  /** The network address with host bits cleared. */
  readonly address: string;
  readonly prefix: number;
}

/** `10.0.0.0/8` — the form iptables-save prints. */
export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

/** Parses one CIDR (or bare address); undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (match === null) return undefined;
  const host = match[1] ?? '';
  if (isIPv4(host)) {
    const prefix = match[2] === undefined ? 32 : Number(match[2]);
    if (prefix > 32) return undefined;
    const bytes = host.split('.').map(Number);
    return { family: 'ipv4', address: maskBytes(bytes, prefix).join('.'), prefix };
  }
  if (isIPv6(host)) {
    const prefix = match[2] === undefined ? 128 : Number(match[2]);
    if (prefix > 128) return undefined;
    const bytes = ipv6Bytes(host);
    if (bytes === undefined) return undefined;
    return { family: 'ipv6', address: formatIpv6(maskBytes(bytes, prefix)), prefix };
  }
  return undefined;
}

function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((byte, i) => {
    const bits = Math.min(8, Math.max(0, prefix - i * 8));
    return byte & ((0xff << (8 - bits)) & 0xff);
  });
}

/** The 16 bytes of an IPv6 address (node:net already said it is one). */
function ipv6Bytes(text: string): number[] | undefined {
  let body = text.toLowerCase();
  // A trailing dotted quad (`::ffff:1.2.3.4`) becomes two hex groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  if (quad !== null) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    body = `${body.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : (halves[0] ?? '').split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? (halves[1] ?? '').split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0) return undefined;
  const groups = [...head, ...Array.from({ length: fill }, () => '0'), ...tail];
  if (groups.length !== 8) return undefined;
  const bytes: number[] = [];
  for (const group of groups) {
    const value = Number.parseInt(group, 16);
    if (!/^[0-9a-f]{1,4}$/.test(group) || Number.isNaN(value)) return undefined;
    bytes.push(value >> 8, value & 0xff);
  }
  return bytes;
}

/** RFC 5952 text: lowercase, no leading zeros, the first longest run (2+) of zero groups as `::`. */
function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
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
  // IPv4-mapped and IPv4-compatible addresses end in a dotted quad, as glibc's inet_ntop writes them.
  if (bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
    return `::${bestLength === 5 ? 'ffff:' : ''}${bytes.slice(12).join('.')}`;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
