// The grpc-message trailer: percent-encoded UTF-8 (grpc/doc/PROTOCOL-HTTP2.md, "Status-Message").
//
// Contract: decodeGrpcMessage never throws. Valid %XX escapes become their bytes; a broken escape
// ('%', '%4', '%zz') is kept as it is, as the spec allows; the bytes are then read as UTF-8
// (invalid sequences become U+FFFD).

import { Buffer } from 'node:buffer';

export function decodeGrpcMessage(value: string): string {
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 /* % */ && i + 2 < value.length && isHex(value, i + 1) && isHex(value, i + 2)) {
      bytes.push(Number.parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    if (c < 0x80) {
      bytes.push(c);
      continue;
    }
    // Not allowed unencoded on the wire, but keep whatever a server sent rather than drop it.
    for (const b of Buffer.from(value.slice(i, i + (isHighSurrogate(c) ? 2 : 1)), 'utf8')) bytes.push(b);
    if (isHighSurrogate(c)) i++;
  }
  return Buffer.from(bytes).toString('utf8');
}

function isHex(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
