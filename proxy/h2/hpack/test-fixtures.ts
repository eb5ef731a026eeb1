// Test data: the header block examples of RFC 7541 Appendix C. Each sequence is one connection
// direction's blocks in order, with the fields each block decodes to and the dynamic table after it
// (newest entry first, and its size in octets).

import { Buffer } from 'node:buffer';

export interface ExampleBlock {
  readonly hex: string;
  readonly fields: readonly string[];
  readonly table: readonly (readonly [string, string])[];
  readonly tableSize: number;
}

export interface ExampleSequence {
  readonly section: string;
  readonly maxTableSize: number;
  readonly blocks: readonly ExampleBlock[];
}

const C2: readonly ExampleSequence[] = [
  {
    section: 'C.2.1 literal field with indexing',
    maxTableSize: 4096,
    blocks: [
      {
        hex: '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572',
        fields: ['custom-key', 'custom-header'],
        table: [['custom-key', 'custom-header']],
        tableSize: 55,
      },
    ],
  },
  {
    section: 'C.2.2 literal field without indexing',
    maxTableSize: 4096,
    blocks: [
      {
        hex: '040c 2f73 616d 706c 652f 7061 7468',
        fields: [':path', '/sample/path'],
        table: [],
        tableSize: 0,
      },
    ],
  },
  {
    section: 'C.2.3 literal field never indexed',
    maxTableSize: 4096,
    blocks: [
      {
        hex: '1008 7061 7373 776f 7264 0673 6563 7265 74',
        fields: ['password', 'secret'],
        table: [],
        tableSize: 0,
      },
    ],
  },
  {
    section: 'C.2.4 indexed field',
    maxTableSize: 4096,
    blocks: [{ hex: '82', fields: [':method', 'GET'], table: [], tableSize: 0 }],
  },
];

const REQ1 = [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com'];
const REQ2 = [...REQ1, 'cache-control', 'no-cache'];
const REQ3 = [
  ':method',
  'GET',
  ':scheme',
  'https',
  ':path',
  '/index.html',
  ':authority',
  'www.example.com',
  'custom-key',
  'custom-value',
];
const REQ_TABLES = [
  { table: [[':authority', 'www.example.com']] as const, tableSize: 57 },
  {
    table: [
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ] as const,
    tableSize: 110,
  },
  {
    table: [
      ['custom-key', 'custom-value'],
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ] as const,
    tableSize: 164,
  },
];

const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const LOCATION = 'https://www.example.com';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RESP1 = [':status', '302', 'cache-control', 'private', 'date', DATE1, 'location', LOCATION];
const RESP2 = [':status', '307', 'cache-control', 'private', 'date', DATE1, 'location', LOCATION];
const RESP3 = [
  ':status',
  '200',
  'cache-control',
  'private',
  'date',
  DATE2,
  'location',
  LOCATION,
  'content-encoding',
  'gzip',
  'set-cookie',
  COOKIE,
];
const RESP_TABLES = [
  {
    table: [
      ['location', LOCATION],
      ['date', DATE1],
      ['cache-control', 'private'],
      [':status', '302'],
    ] as const,
    tableSize: 222,
  },
  {
    table: [
      [':status', '307'],
      ['location', LOCATION],
      ['date', DATE1],
      ['cache-control', 'private'],
    ] as const,
    tableSize: 222,
  },
  {
    table: [
      ['set-cookie', COOKIE],
      ['content-encoding', 'gzip'],
      ['date', DATE2],
    ] as const,
    tableSize: 215,
  },
];

export const RFC7541_EXAMPLES: readonly ExampleSequence[] = [
  ...C2,
  {
    section: 'C.3 requests without Huffman coding',
    maxTableSize: 4096,
    blocks: [
      { hex: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', fields: REQ1, ...REQ_TABLES[0]! },
      { hex: '8286 84be 5808 6e6f 2d63 6163 6865', fields: REQ2, ...REQ_TABLES[1]! },
      {
        hex: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
        fields: REQ3,
        ...REQ_TABLES[2]!,
      },
    ],
  },
  {
    section: 'C.4 requests with Huffman coding',
    maxTableSize: 4096,
    blocks: [
      { hex: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', fields: REQ1, ...REQ_TABLES[0]! },
      { hex: '8286 84be 5886 a8eb 1064 9cbf', fields: REQ2, ...REQ_TABLES[1]! },
      {
        hex: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
        fields: REQ3,
        ...REQ_TABLES[2]!,
      },
    ],
  },
  {
    section: 'C.5 responses without Huffman coding',
    maxTableSize: 256,
    blocks: [
      {
        hex:
          '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a ' +
          '3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        fields: RESP1,
        ...RESP_TABLES[0]!,
      },
      { hex: '4803 3330 37c1 c0bf', fields: RESP2, ...RESP_TABLES[1]! },
      {
        hex:
          '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 ' +
          '677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 ' +
          '553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
        fields: RESP3,
        ...RESP_TABLES[2]!,
      },
    ],
  },
  {
    section: 'C.6 responses with Huffman coding',
    maxTableSize: 256,
    blocks: [
      {
        hex:
          '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e ' +
          '919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
        fields: RESP1,
        ...RESP_TABLES[0]!,
      },
      { hex: '4883 640e ffc1 c0bf', fields: RESP2, ...RESP_TABLES[1]! },
      {
        hex:
          '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 ' +
          '821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed ' +
          '4ee5 b106 3d50 07',
        fields: RESP3,
        ...RESP_TABLES[2]!,
      },
    ],
  },
];

/** The octets of an example's hex (spaces ignored). */
export function exampleBytes(hex: string): Buffer {
  return Buffer.from(hex.replaceAll(' ', ''), 'hex');
}
