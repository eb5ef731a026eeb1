// The text of a bearer token as a caller handed it over (a string, or the bytes of a token file
// or a gRPC bytes field), checked for size and encoding before any parsing.
//
// Contract: surrounding ASCII whitespace (a trailing newline in a token file) is removed; an
// empty token, one that is not UTF-8, or one longer than MAX_TOKEN_BYTES is refused with
// TokenInvalidError('malformed'). Pure.

import { TokenInvalidError } from './errors.ts';

/** Far above any real token (Kubernetes' are about 1 KiB); bounds the work a caller can cause. */
export const MAX_TOKEN_BYTES = 16 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The token as trimmed text. */
export function tokenText(token: Uint8Array | string): string {
  const size = typeof token === 'string' ? Buffer.byteLength(token) : token.byteLength;
  if (size > MAX_TOKEN_BYTES) {
    throw new TokenInvalidError('malformed', `token is ${size} bytes long, more than the ${MAX_TOKEN_BYTES} allowed`);
  }
  let text: string;
  try {
    text = typeof token === 'string' ? token : decoder.decode(token);
  } catch (err) {
    throw new TokenInvalidError('malformed', 'token is not UTF-8 text', { cause: err });
  }
  const trimmed = text.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  if (trimmed.length === 0) {
    throw new TokenInvalidError('malformed', 'token is empty; send the contents of the service-account token file');
  }
  return trimmed;
}
