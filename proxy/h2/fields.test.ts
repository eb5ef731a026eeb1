import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFields, contentLengthOf, fieldCharsValid } from './fields.ts';

const REQUEST = [':method', 'GET', ':scheme', 'http', ':authority', 'svc:80', ':path', '/'];

describe('checkFields', () => {
  test('a well-formed request, response, trailer section and CONNECT pass', () => {
    assert.equal(checkFields([...REQUEST, 'te', 'trailers', 'upgrade-insecure-requests', '1'], 'request'), undefined);
    assert.equal(checkFields([':status', '204', 'content-type', 'text/plain'], 'response'), undefined);
    assert.equal(checkFields(['grpc-status', '0'], 'trailers'), undefined);
    assert.equal(checkFields([':method', 'CONNECT', ':authority', 'svc:443'], 'request'), undefined);
  });

  test('request pseudo-headers: each at most once, none unknown, none after a regular field', () => {
    const cases: [string[], RegExp][] = [
      [[...REQUEST, ':method', 'GET'], /repeated :method/],
      [[...REQUEST, ':scheme', 'https'], /repeated :scheme/],
      [[...REQUEST, ':path', '/x'], /repeated :path/],
      [[...REQUEST, ':authority', 'x'], /repeated :authority/],
      [[...REQUEST, ':status', '200'], /pseudo-header :status is not allowed in a request/],
      [[...REQUEST, ':protocol', 'websocket'], /pseudo-header :protocol is not allowed in a request/],
      [['accept', '*/*', ...REQUEST], /pseudo-header :method after a regular field/],
      [[':method', '', ':scheme', 'http', ':path', '/'], /empty :method/],
      [[':method', 'GET', ':scheme', 'http', ':path', ''], /empty :path/],
      [[':scheme', 'http', ':path', '/'], /missing :method/],
      [[':method', 'GET', ':path', '/'], /missing :scheme/],
      [[':method', 'GET', ':scheme', 'http'], /missing :path/],
      [[':method', 'CONNECT', ':authority', 'a:1', ':path', '/'], /CONNECT with :scheme or :path/],
      [[':method', 'CONNECT'], /CONNECT without :authority/],
    ];
    for (const [fields, problem] of cases)
      assert.match(checkFields(fields, 'request') ?? 'passed', problem, String(fields));
  });

  test('every connection-specific field is refused, names that only look like one are not', () => {
    for (const name of ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']) {
      assert.equal(checkFields([...REQUEST, name, 'x'], 'request'), `connection-specific field ${name}`);
      assert.equal(checkFields([':status', '200', name, 'x'], 'response'), `connection-specific field ${name}`);
    }
    for (const name of ['connections', 'keep-alivf', 'upgrades', 'proxy-connectio', 'transfer-encodinh', 'tf']) {
      assert.equal(checkFields([...REQUEST, name, 'x'], 'request'), undefined, name);
    }
    assert.equal(checkFields([...REQUEST, 'te', 'gzip'], 'request'), 'te other than "trailers"');
  });

  test(':status must be three digits from 100 to 999, once, and only in a response', () => {
    for (const status of ['100', '200', '599', '999'])
      assert.equal(checkFields([':status', status], 'response'), undefined);
    for (const status of ['099', '20', '2000', '20a', '2 0', '', '+20']) {
      assert.match(checkFields([':status', status], 'response') ?? 'passed', /invalid :status/, JSON.stringify(status));
    }
    assert.equal(checkFields(['content-type', 'x'], 'response'), 'missing :status');
    assert.equal(checkFields([':status', '200', ':status', '200'], 'response'), 'repeated :status');
    assert.equal(
      checkFields([':status', '200', ':path', '/'], 'response'),
      'pseudo-header :path is not allowed in a response',
    );
    assert.equal(checkFields([':status', '200'], 'trailers'), 'pseudo-header :status in trailers');
  });

  test('characters are checked for every field, or only for the ones the decoder did not vouch for', () => {
    const fields = [...REQUEST, 'x-a', 'ok', 'x-b', 'bad\r\nvalue', 'X-Upper', 'v'];
    assert.equal(checkFields(fields, 'request'), 'x-b: value with NUL, CR or LF');
    // Fields 4 and 5 (x-a, x-b) vouched for: the upper-case name (field 6) is still checked.
    assert.equal(checkFields(fields, 'request', [6]), 'upper-case field name X-Upper');
    assert.equal(checkFields(fields, 'request', [5]), 'x-b: value with NUL, CR or LF');
    assert.equal(checkFields(fields, 'request', []), undefined, 'all vouched for');
    assert.equal(checkFields([...REQUEST, 'x', ' padded'], 'request'), 'x: value with leading or trailing whitespace');
    assert.equal(checkFields([...REQUEST, 'a b', 'v'], 'request'), 'invalid field name "a b"');
    assert.equal(checkFields([...REQUEST, '', 'v'], 'request'), 'empty field name');
  });
});

test('fieldCharsValid agrees with the character checks', () => {
  assert.equal(fieldCharsValid('x-a', 'ok'), true);
  assert.equal(fieldCharsValid(':path', '/'), true);
  assert.equal(fieldCharsValid('X-A', 'ok'), false);
  assert.equal(fieldCharsValid('x-a', 'a\nb'), false);
});

test('contentLengthOf: none, one, repeats that agree, and malformed values', () => {
  assert.equal(contentLengthOf(REQUEST), -1);
  assert.equal(contentLengthOf(['content-length', '12']), 12);
  assert.equal(contentLengthOf(['content-length', '12', 'content-length', '12']), 12);
  assert.equal(contentLengthOf(['content-length', '12', 'content-length', '13']), -2);
  assert.equal(contentLengthOf(['content-length', '-1']), -2);
  assert.equal(contentLengthOf(['content-length', '1234567890123456']), -2);
});
