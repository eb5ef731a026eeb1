import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STATUS_NAMES, statusFromHttp, statusFromRstCode, statusNameOf } from './status.ts';

describe('gRPC status names', () => {
  test('has the 17 canonical names at their wire numbers', () => {
    assert.equal(STATUS_NAMES.length, 17);
    assert.equal(STATUS_NAMES[0], 'OK');
    assert.equal(STATUS_NAMES[4], 'DEADLINE_EXCEEDED');
    assert.equal(STATUS_NAMES[14], 'UNAVAILABLE');
    assert.equal(STATUS_NAMES[16], 'UNAUTHENTICATED');
  });

  test('names a grpc-status value, and calls anything else UNKNOWN', () => {
    const cases: [string | number, string][] = [
      ['0', 'OK'],
      ['3', 'INVALID_ARGUMENT'],
      [' 14 ', 'UNAVAILABLE'],
      [16, 'UNAUTHENTICATED'],
      ['17', 'UNKNOWN'],
      ['-1', 'UNKNOWN'],
      ['', 'UNKNOWN'],
      ['OK', 'UNKNOWN'],
      ['1e1', 'UNKNOWN'],
    ];
    for (const [value, name] of cases) assert.equal(statusNameOf(value), name, JSON.stringify(value));
  });
});

describe('statusFromHttp (http-grpc-status-mapping)', () => {
  const cases: [number, string][] = [
    [400, 'INTERNAL'],
    [401, 'UNAUTHENTICATED'],
    [403, 'PERMISSION_DENIED'],
    [404, 'UNIMPLEMENTED'],
    [429, 'UNAVAILABLE'],
    [431, 'INTERNAL'],
    [502, 'UNAVAILABLE'],
    [503, 'UNAVAILABLE'],
    [504, 'UNAVAILABLE'],
    [200, 'UNKNOWN'],
    [500, 'UNKNOWN'],
    [302, 'UNKNOWN'],
    [100, 'INTERNAL'],
  ];
  for (const [http, grpc] of cases)
    test(`maps HTTP ${http} to ${grpc}`, () => assert.equal(statusFromHttp(http), grpc));
});

describe('statusFromRstCode (PROTOCOL-HTTP2 "Errors")', () => {
  const cases: [number, string, string][] = [
    [0x0, 'NO_ERROR', 'INTERNAL'],
    [0x1, 'PROTOCOL_ERROR', 'INTERNAL'],
    [0x2, 'INTERNAL_ERROR', 'INTERNAL'],
    [0x3, 'FLOW_CONTROL_ERROR', 'INTERNAL'],
    [0x7, 'REFUSED_STREAM', 'UNAVAILABLE'],
    [0x8, 'CANCEL', 'CANCELLED'],
    [0xb, 'ENHANCE_YOUR_CALM', 'RESOURCE_EXHAUSTED'],
    [0xc, 'INADEQUATE_SECURITY', 'PERMISSION_DENIED'],
    [0xd, 'HTTP_1_1_REQUIRED', 'INTERNAL'],
  ];
  for (const [code, name, grpc] of cases)
    test(`maps ${name} to ${grpc}`, () => assert.equal(statusFromRstCode(code), grpc));
});
