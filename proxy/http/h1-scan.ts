// Scanning HTTP/1 heads, shared by the request side (h1-server/) and the response side
// (h1-response-parser.ts): where a head ends, token characters, what String#trim would remove.
// Loops over char codes instead of regular expressions or native calls, because they run for every
// field of every proxied request and response.
//
// Contract: headEnd(buf, from) is buf.indexOf('\r\n\r\n', from): the index of the first CRLF CRLF
// at or after `from`, or -1. A head is usually short, and for a few hundred bytes a plain loop is
// several times cheaper than Buffer#indexOf's call into C++ (which converts the needle on every
// call); past that the native search takes over, so a large head is not scanned byte by byte in JS.
// isToken(text, start, end) is /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/ on text.slice(start, end);
// trimStart/trimEnd give the bounds String#trim would leave of text.slice(start, end).

import { Buffer } from 'node:buffer';

/** Bytes scanned in JavaScript before handing the rest of the search to Buffer#indexOf. */
const JS_SCAN = 256;

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');

export function headEnd(buf: Buffer, from: number): number {
  const length = buf.length;
  const limit = Math.min(length - 3, from + JS_SCAN);
  let i = from;
  while (i < limit) {
    // Look at the last byte of the window first and skip past windows it rules out.
    const c = buf[i + 3];
    if (c === 10) {
      if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13) return i;
      i += 2;
    } else i += c === 13 ? 1 : 4;
  }
  return limit < length - 3 ? buf.indexOf(CRLF_CRLF, limit) : -1;
}

/** Token characters of RFC 9110 §5.6.2, by char code. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TCHAR[c.charCodeAt(0)] = 1;

/** Whether byte `c` is a token character. */
export function isTokenByte(c: number): boolean {
  return TCHAR[c] === 1;
}

/** Whether text.slice(start, end) is a non-empty token. */
export function isToken(text: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    // charCodeAt may exceed 255 (the table reads undefined then): not a token character either.
    if (TCHAR[text.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

/** What String#trim removes, among latin1 characters: HTAB, LF, VT, FF, CR, SP and NBSP. */
function isTrimmed(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

/** The start of text.slice(start, end).trim() within text. */
export function trimStart(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && isTrimmed(text.charCodeAt(i))) i++;
  return i;
}

/** The end of text.slice(start, end).trim() within text (start: its trimStart). */
export function trimEnd(text: string, start: number, end: number): number {
  let i = end;
  while (i > start && isTrimmed(text.charCodeAt(i - 1))) i--;
  return i;
}
