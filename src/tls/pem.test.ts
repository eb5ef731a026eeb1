import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { CertificateError } from './errors.ts';
import { certificatesFromPem, derToPem, joinPem, pemToDer, splitPem } from './pem.ts';

const a = randomBytes(300);
const b = randomBytes(47);
const c = randomBytes(1);

describe('PEM', () => {
  test('round-trips DER through PEM with 64-character lines and a final newline', () => {
    const pem = derToPem(a);
    assert.ok(pem.endsWith('-----END CERTIFICATE-----\n'));
    assert.ok(pem.split('\n').every((line) => line.length <= 64 || line.startsWith('-----')));
    assert.deepEqual(pemToDer(pem, 'CERTIFICATE'), a);
  });

  const bundles: [string, string, Buffer[]][] = [
    ['splits a bundle of several blocks in order', derToPem(a) + derToPem(b) + derToPem(c), [a, b, c]],
    ['splits a bundle whose last block has no trailing newline', derToPem(a) + derToPem(b).trimEnd(), [a, b]],
    ['splits a bundle with CRLF line endings', (derToPem(a) + derToPem(b)).replace(/\n/g, '\r\n'), [a, b]],
    [
      'ignores text and blank lines between blocks',
      `subject=CN=x\nissuer=CN=y\n\n${derToPem(a)}\n\n# comment\n${derToPem(b)}\n`,
      [a, b],
    ],
    ['accepts indented lines', derToPem(a).replace(/^/gm, '  '), [a]],
  ];
  for (const [name, text, expected] of bundles) {
    test(name, () => assert.deepEqual(certificatesFromPem(text), expected));
  }

  test('keeps the label of each block', () => {
    const text = derToPem(a, 'PRIVATE KEY') + derToPem(b);
    assert.deepEqual(
      splitPem(text).map((block) => block.label),
      ['PRIVATE KEY', 'CERTIFICATE'],
    );
  });

  test('joins PEM texts that lack a trailing newline (the @peculiar/x509 toString pitfall)', () => {
    const noNewline = [derToPem(a).trimEnd(), derToPem(b).trimEnd()];
    assert.match(noNewline.join(''), /-----END CERTIFICATE----------BEGIN/);
    const joined = joinPem(noNewline);
    assert.equal(joined, derToPem(a) + derToPem(b));
    assert.deepEqual(certificatesFromPem(joined), [a, b]);
  });

  const broken: [string, string, RegExp][] = [
    [
      'refuses a block without an END line',
      derToPem(a).replace('-----END CERTIFICATE-----\n', ''),
      /has no "-----END CERTIFICATE-----" line/,
    ],
    [
      'refuses mismatched BEGIN and END labels',
      derToPem(a).replace('END CERTIFICATE', 'END PRIVATE KEY'),
      /ends on line \d+ as "PRIVATE KEY"/,
    ],
    ['refuses a body that is not base64', derToPem(a).replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!'), /is not base64/],
    [
      'refuses a truncated base64 body',
      derToPem(a).replace(/\n([A-Za-z0-9+/]+)\n-----END/, (_m, last: string) => `\n${last.slice(0, -1)}\n-----END`),
      /whole base64/,
    ],
    ['refuses an END line outside a block', `-----END CERTIFICATE-----\n${derToPem(a)}`, /never begun/],
    [
      'refuses a BEGIN inside a block',
      derToPem(a).replace('-----END CERTIFICATE-----\n', '') + derToPem(b),
      /begins a block inside/,
    ],
  ];
  for (const [name, text, message] of broken) {
    test(name, () => {
      assert.throws(
        () => splitPem(text, 'ca-bundle.crt'),
        (err: unknown) =>
          err instanceof CertificateError &&
          err.code === 'MESH_ERR_TLS_CERT' &&
          err.message.includes('ca-bundle.crt') &&
          message.test(err.message),
      );
    });
  }

  test('refuses a certificate bundle that holds only a key', () => {
    assert.throws(() => certificatesFromPem(derToPem(a, 'PRIVATE KEY')), /only "PRIVATE KEY" blocks/);
    assert.throws(() => certificatesFromPem(''), /no PEM blocks/);
  });

  test('pemToDer wants exactly one block of the label', () => {
    assert.throws(() => pemToDer(derToPem(a) + derToPem(b), 'CERTIFICATE'), /exactly one.*found 2/);
  });
});
