// Recognising a TLS ClientHello and reading its SNI without consuming it (linkerd.md §3.4: the
// inbound proxy terminates TLS only when the SNI is its own identity; other TLS passes through).
//
// Contract: parseClientHello classifies the bytes seen so far: 'more' (need more bytes), not TLS,
// or TLS with the server name (undefined when the hello carries none). It never throws on
// malformed input; a record that does not parse as a ClientHello is reported as TLS without SNI.

export type HelloVerdict =
  'more' | { readonly kind: 'not-tls' } | { readonly kind: 'tls'; readonly sni: string | undefined };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
/** A ClientHello larger than this is not waited for (Linkerd peeks 512 B, then up to 8 KiB). */
export const MAX_HELLO_BYTES = 16 * 1024 + 5;

export function parseClientHello(bytes: Buffer): HelloVerdict {
  if (bytes.length === 0) return 'more';
  if (bytes[0] !== HANDSHAKE) return { kind: 'not-tls' };
  if (bytes.length < 5) return 'more';
  if (bytes[1] !== 0x03) return { kind: 'not-tls' };
  const recordLength = bytes.readUInt16BE(3);
  if (recordLength > MAX_HELLO_BYTES) return { kind: 'tls', sni: undefined };
  if (bytes.length < 5 + recordLength) return 'more';
  return { kind: 'tls', sni: readSni(bytes.subarray(5, 5 + recordLength)) };
}

function readSni(hs: Buffer): string | undefined {
  try {
    if (hs[0] !== CLIENT_HELLO) return undefined;
    let p = 4; // type(1) + length(3)
    p += 2 + 32; // legacy_version + random
    p += 1 + (hs[p] ?? 0); // session id
    p += 2 + hs.readUInt16BE(p); // cipher suites
    p += 1 + (hs[p] ?? 0); // compression methods
    if (p + 2 > hs.length) return undefined;
    const extEnd = p + 2 + hs.readUInt16BE(p);
    p += 2;
    while (p + 4 <= extEnd && p + 4 <= hs.length) {
      const type = hs.readUInt16BE(p);
      const len = hs.readUInt16BE(p + 2);
      p += 4;
      if (type === EXT_SERVER_NAME) {
        let q = p + 2; // server_name_list length
        const listEnd = Math.min(p + len, hs.length);
        while (q + 3 <= listEnd) {
          const nameType = hs[q];
          const nameLen = hs.readUInt16BE(q + 1);
          q += 3;
          if (nameType === 0 && q + nameLen <= listEnd)
            return hs
              .subarray(q, q + nameLen)
              .toString('ascii')
              .toLowerCase();
          q += nameLen;
        }
        return undefined;
      }
      p += len;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
