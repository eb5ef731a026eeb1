// Public surface of proxy/h2/hpack: HPACK (RFC 7541) header compression for the proxy's own
// HTTP/2 implementation. One HpackDecoder and one HpackEncoder per connection.
export { HpackDecoder, type HpackDecoderOptions } from './decoder.ts';
export { HpackEncoder, type HpackEncoderOptions } from './encoder.ts';
export { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.ts';
export { STATIC_TABLE_LENGTH, staticExactIndex, staticNameIndex } from './static-table.ts';
