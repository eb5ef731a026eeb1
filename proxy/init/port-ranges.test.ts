import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkPortRanges, formatPortRange, parsePortRanges, portReferences, type PortRange } from './port-ranges.ts';

const p = (lo: number, hi = lo): PortRange => ({ lo, hi });
const ports = (from: number, count: number): PortRange[] => Array.from({ length: count }, (_, i) => p(from + i));
const text = (chunks: PortRange[][]): string[] => chunks.map((c) => c.map(formatPortRange).join(','));

describe('parsePortRanges', () => {
  const cases: { input: string; want: PortRange[] | RegExp }[] = [
    { input: '80', want: [p(80)] },
    { input: ' 80 , 443,8000-8010 ', want: [p(80), p(443), p(8000, 8010)] },
    { input: '5-5', want: [p(5)] },
    { input: '443,80,443', want: [p(443), p(80)] },
    { input: '1-65535', want: [p(1, 65_535)] },
    { input: ',,', want: [] },
    { input: '0', want: /outside 1-65535/ },
    { input: '65536', want: /outside/ },
    { input: '10-5', want: /ends before it starts/ },
    { input: '80:90', want: /not a port or a range/ },
    { input: 'http', want: /"http" is not a port/ },
    { input: '1-2-3', want: /not a port/ },
  ];
  for (const { input, want } of cases) {
    test(`${JSON.stringify(input)} ${want instanceof RegExp ? 'is refused' : 'parses'}`, () => {
      const got = parsePortRanges(input);
      if (want instanceof RegExp) {
        assert.ok('problem' in got, `expected a problem, got ${JSON.stringify(got)}`);
        assert.match(got.problem, want);
      } else {
        assert.deepEqual(got, { ranges: want });
      }
    });
  }
});

describe('chunkPortRanges', () => {
  test('counts a port as one reference and a range as two', () => {
    assert.equal(portReferences(p(80)), 1);
    assert.equal(portReferences(p(80, 81)), 2);
    assert.equal(formatPortRange(p(80, 81)), '80:81');
  });

  const cases: { name: string; ranges: PortRange[]; want: string[] }[] = [
    { name: 'no ports make no rule', ranges: [], want: [] },
    { name: 'one port makes one rule', ranges: [p(4191)], want: ['4191'] },
    {
      name: 'fifteen ports fit one rule',
      ranges: ports(1, 15),
      want: ['1,2,3,4,5,6,7,8,9,10,11,12,13,14,15'],
    },
    {
      name: 'the sixteenth port starts a second rule',
      ranges: ports(1, 16),
      want: ['1,2,3,4,5,6,7,8,9,10,11,12,13,14,15', '16'],
    },
    {
      name: 'a range that would make sixteen references moves to the next rule',
      ranges: [...ports(1, 14), p(100, 200)],
      want: ['1,2,3,4,5,6,7,8,9,10,11,12,13,14', '100:200'],
    },
    {
      name: 'seven ranges and a port fill one rule exactly',
      ranges: [...Array.from({ length: 7 }, (_, i) => p(i * 10 + 1, i * 10 + 5)), p(999)],
      want: ['1:5,11:15,21:25,31:35,41:45,51:55,61:65,999'],
    },
    {
      name: 'an eighth range goes to a second rule',
      ranges: Array.from({ length: 8 }, (_, i) => p(i * 10 + 1, i * 10 + 5)),
      want: ['1:5,11:15,21:25,31:35,41:45,51:55,61:65', '71:75'],
    },
    {
      name: 'order is kept across rules',
      ranges: [p(9000), ...ports(1, 14), p(8000, 8080), p(7)],
      want: ['9000,1,2,3,4,5,6,7,8,9,10,11,12,13,14', '8000:8080,7'],
    },
    {
      name: 'forty ports make three rules',
      ranges: ports(1000, 40),
      want: [
        ports(1000, 15).map(formatPortRange).join(','),
        ports(1015, 15).map(formatPortRange).join(','),
        ports(1030, 10).map(formatPortRange).join(','),
      ],
    },
  ];
  for (const { name, ranges, want } of cases) {
    test(name, () => {
      const chunks = chunkPortRanges(ranges);
      assert.deepEqual(text(chunks), want);
      for (const chunk of chunks) assert.ok(chunk.reduce((n, r) => n + portReferences(r), 0) <= 15);
    });
  }
});
