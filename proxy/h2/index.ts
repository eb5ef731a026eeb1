// Public surface of the proxy's own HTTP/2 implementation (ADR 0020).
export { H2Connection, type H2ConnectionHandler, type H2ConnectionOptions } from './connection.ts';
export { H2Stream, HIGH_WATER, type H2StreamHandler } from './stream.ts';
export {
  H2_ERROR,
  H2ConnectionError,
  H2HeaderListTooLarge,
  H2StreamError,
  h2ErrorName,
  type H2ErrorName,
} from './errors.ts';
export { checkFields, contentLengthOf, fieldValue, statusOf, type FieldSection } from './fields.ts';
