import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createIssuer, createTrustAnchor } from './ca-create.ts';
import { KEY_USAGE, parseCertificate } from './certificate-parser.ts';
import { CertificateError } from './errors.ts';
import { pemToDer } from './pem.ts';

const run = promisify(execFile);
let dir: string;
let opensslCert: Buffer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodemesh-cert-'));
  await run('/usr/bin/openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-subj',
    '/CN=openssl.example/O=Example Org',
    '-addext',
    'subjectAltName=DNS:a.example,IP:10.1.2.3,IP:2001:db8::1,email:ops@example.com,URI:spiffe://example/ns/a/sa/b',
    '-days',
    '2',
  ]);
  opensslCert = pemToDer(await readFile(join(dir, 'cert.pem'), 'utf8'), 'CERTIFICATE');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseCertificate', () => {
  test('reads a certificate made by openssl as Node does', () => {
    const parsed = parseCertificate(opensslCert);
    const node = new X509Certificate(opensslCert);
    assert.equal(parsed.version, 3);
    assert.equal(parsed.serialNumberHex.toUpperCase().replace(/^0+/, ''), node.serialNumber.replace(/^0+/, ''));
    assert.deepEqual(
      parsed.subject.map((a) => a.value),
      ['openssl.example', 'Example Org'],
    );
    assert.equal(parsed.notAfter.getTime(), node.validToDate.getTime());
    assert.equal(parsed.notBefore.getTime(), node.validFromDate.getTime());
    assert.deepEqual(parsed.subjectAltNames, [
      { type: 'dns', value: 'a.example' },
      { type: 'ip', value: '10.1.2.3' },
      { type: 'ip', value: '2001:db8::1' },
      { type: 'email', value: 'ops@example.com' },
      { type: 'uri', value: 'spiffe://example/ns/a/sa/b' },
    ]);
    assert.equal(parsed.basicConstraints?.ca, true);
    assert.ok(parsed.subjectKeyId !== undefined);
  });

  test('reads what our builder writes for a CA', async () => {
    const anchor = await createTrustAnchor({ commonName: 'root' });
    const issuer = await createIssuer({
      anchor: anchor.certificate,
      anchorKey: anchor.privateKey,
      commonName: 'identity',
    });
    const parsed = parseCertificate(issuer.certificate);
    assert.deepEqual(parsed.basicConstraints, { ca: true, pathLength: 0 });
    assert.equal(parsed.keyUsage, KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign);
    assert.equal(parsed.signatureAlgorithm, '1.2.840.10045.4.3.2');
    assert.deepEqual(parsed.authorityKeyId, parseCertificate(anchor.certificate).subjectKeyId);
  });

  test('throws only CertificateError for any mutation of a valid certificate', () => {
    let parsedCount = 0;
    for (let i = 0; i < 600; i++) {
      const der = Buffer.from(opensslCert);
      const mode = i % 3;
      if (mode === 0) der[(i * 31) % der.length]! ^= 1 << (i % 8);
      if (mode === 1) der[(i * 17) % der.length] = (i * 29) & 0xff;
      const input = mode === 2 ? der.subarray(0, (i * 3) % der.length) : der;
      try {
        parseCertificate(input, 'mutated certificate');
        parsedCount++;
      } catch (err) {
        assert.ok(err instanceof CertificateError, `mutation ${i} threw ${String(err)}`);
        assert.match(err.message, /^the mutated certificate is not a valid DER X\.509 certificate: /);
      }
    }
    assert.ok(parsedCount < 600);
  });
});
