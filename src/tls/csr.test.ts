import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { createCsr, parseCsr, verifyCsr } from './csr.ts';
import { CsrError, IdentityNameError, type CsrProblem } from './errors.ts';
import { generateP256KeyPair } from './keys.ts';
import { derToPem } from './pem.ts';

x509.cryptoProvider.set(webcrypto);

const identity = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

type Name = { type: 'dns' | 'email' | 'ip' | 'url' | 'dn'; value: string };

/** A CSR built by @peculiar/x509 (an encoder independent of ours). */
async function peculiarCsr(options: {
  name?: string;
  sans?: Name[];
  keys?: webcrypto.CryptoKeyPair;
  algorithm?: webcrypto.Algorithm | webcrypto.EcdsaParams;
}): Promise<Buffer> {
  const algorithm = options.algorithm ?? P256;
  const keys = options.keys ?? (await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.name ?? `CN=${identity}`,
    keys,
    signingAlgorithm: algorithm,
    extensions: options.sans === undefined ? [] : [new x509.SubjectAlternativeNameExtension(options.sans)],
  });
  return Buffer.from(csr.rawData);
}

describe('createCsr', () => {
  test('makes a DER CSR with CN = DNS SAN = identity that @peculiar/x509 and our verifier accept', async () => {
    const { privateKey } = await generateP256KeyPair();
    const der = createCsr({ identity, privateKey });
    const parsed = new x509.Pkcs10CertificateRequest(der);
    assert.equal(await parsed.verify(), true);
    assert.equal(parsed.subject, `CN=${identity}`);
    const san = parsed.getExtension('2.5.29.17');
    assert.ok(san !== null);
    assert.deepEqual(new x509.SubjectAlternativeNameExtension(san.rawData).names.toJSON(), [
      { type: 'dns', value: identity },
    ]);
    assert.equal(verifyCsr(der, { identity }).hasCommonName, true);
  });

  test('refuses an identity that is not a DNS name', async () => {
    const { privateKey } = await generateP256KeyPair();
    assert.throws(() => createCsr({ identity: 'Web.shop', privateKey }), IdentityNameError);
  });
});

describe('verifyCsr', () => {
  const cases: [string, () => Promise<Buffer>, CsrProblem, RegExp][] = [];
  const good: [string, () => Promise<Buffer>, boolean][] = [
    [
      'accepts a CSR built by @peculiar/x509 with CN and SAN equal to the identity',
      () => peculiarCsr({ sans: [{ type: 'dns', value: identity }] }),
      true,
    ],
    [
      'accepts a CSR with an empty subject and the identity as its only SAN',
      () => peculiarCsr({ name: '', sans: [{ type: 'dns', value: identity }] }),
      false,
    ],
    [
      'accepts a CSR self-signed with ecdsa-with-SHA384',
      () =>
        peculiarCsr({
          sans: [{ type: 'dns', value: identity }],
          algorithm: { name: 'ECDSA', hash: 'SHA-384' },
        }),
      true,
    ],
    [
      'accepts and ignores other subject attributes',
      () => peculiarCsr({ name: `CN=${identity}, O=shop`, sans: [{ type: 'dns', value: identity }] }),
      true,
    ],
  ];
  for (const [name, make, hasCommonName] of good) {
    test(name, async () => {
      const verified = verifyCsr(await make(), { identity });
      assert.equal(verified.identity, identity);
      assert.equal(verified.hasCommonName, hasCommonName);
      assert.equal(verified.publicKeyBits.length, 65);
    });
  }

  cases.push(
    [
      'refuses an RSA key',
      async () => {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
        const keys = {
          privateKey: privateKey.toCryptoKey(algorithm, false, ['sign']),
          publicKey: publicKey.toCryptoKey(algorithm, true, ['verify']),
        };
        return peculiarCsr({ keys, algorithm, sans: [{ type: 'dns', value: identity }] });
      },
      'unsupported-key',
      /public key is an RSA key; the identity service only signs ECDSA P-256/,
    ],
    [
      'refuses a P-384 key',
      async () => {
        const algorithm = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
        const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
        return peculiarCsr({ keys, algorithm, sans: [{ type: 'dns', value: identity }] });
      },
      'unsupported-key',
      /an ECDSA key on curve P-384 \(secp384r1\)/,
    ],
    [
      'refuses a P-256 public key that is not a point on the curve',
      async () => {
        const { privateKey } = await generateP256KeyPair();
        const der = createCsr({ identity, privateKey });
        const point = parseCsr(der).publicKey.publicKeyBits;
        der[der.indexOf(Buffer.from(point)) + 64]! ^= 0x01; // last octet of y
        return der;
      },
      'unsupported-key',
      /public key is not a valid point on the curve/,
    ],
    [
      'refuses a self-signature with SHA-1',
      () =>
        peculiarCsr({
          sans: [{ type: 'dns', value: identity }],
          algorithm: { name: 'ECDSA', hash: 'SHA-1' },
        }),
      'unsupported-signature-algorithm',
      /signed with ecdsa-with-SHA1; a P-256 key must sign it with ecdsa-with-SHA256/,
    ],
    [
      'refuses a corrupted signature',
      async () => {
        const der = await peculiarCsr({ sans: [{ type: 'dns', value: identity }] });
        der[der.length - 1]! ^= 0x01; // last octet of s: still valid DER, wrong value
        return der;
      },
      'bad-signature',
      /signature does not verify with the public key it carries/,
    ],
    [
      'refuses a CSR whose content was altered after signing',
      async () => {
        const der = await peculiarCsr({ sans: [{ type: 'dns', value: identity }] });
        const at = der.indexOf(Buffer.from('web.shop'));
        der[at] = 'x'.charCodeAt(0);
        return der;
      },
      'bad-signature',
      /request was altered or signed with another key/,
    ],
    [
      'refuses an e-mail SAN',
      () =>
        peculiarCsr({
          sans: [
            { type: 'dns', value: identity },
            { type: 'email', value: 'ops@example.com' },
          ],
        }),
      'email-san',
      /asks for e-mail SAN "ops@example\.com"; e-mail SANs are not allowed, it must carry exactly one DNS SAN/,
    ],
    [
      'refuses an IP SAN',
      () =>
        peculiarCsr({
          sans: [
            { type: 'dns', value: identity },
            { type: 'ip', value: '10.0.0.1' },
          ],
        }),
      'ip-san',
      /asks for IP address SAN "10\.0\.0\.1"/,
    ],
    [
      'refuses a URI SAN',
      () =>
        peculiarCsr({
          sans: [
            { type: 'dns', value: identity },
            { type: 'url', value: 'spiffe://cluster.local/ns/shop/sa/web' },
          ],
        }),
      'uri-san',
      /asks for URI SAN "spiffe:\/\/cluster\.local\/ns\/shop\/sa\/web"/,
    ],
    [
      'refuses a directoryName SAN',
      () =>
        peculiarCsr({
          sans: [
            { type: 'dns', value: identity },
            { type: 'dn', value: 'CN=x' },
          ],
        }),
      'other-san',
      /non-DNS .* SAN "directoryName"/,
    ],
    [
      'refuses a CSR without any SAN',
      () => peculiarCsr({}),
      'no-dns-san',
      /has no DNS SAN; it must carry exactly one DNS SAN, the identity/,
    ],
    [
      'refuses two DNS SANs',
      () =>
        peculiarCsr({
          sans: [
            { type: 'dns', value: identity },
            { type: 'dns', value: 'db.shop.serviceaccount.identity.nodemesh.cluster.local' },
          ],
        }),
      'multiple-dns-sans',
      /has 2 DNS SANs \("web\.shop\..*", "db\.shop\..*"\)/,
    ],
    [
      'refuses a SAN that differs from the requested identity',
      () =>
        peculiarCsr({
          name: '',
          sans: [{ type: 'dns', value: 'db.shop.serviceaccount.identity.nodemesh.cluster.local' }],
        }),
      'san-mismatch',
      /DNS SAN "db\.shop\.serviceaccount\.identity\.nodemesh\.cluster\.local" differs from the requested identity "web\.shop\./,
    ],
    [
      'refuses a CN that differs from the requested identity',
      () => peculiarCsr({ name: 'CN=admin', sans: [{ type: 'dns', value: identity }] }),
      'cn-mismatch',
      /subject CN "admin" differs from the requested identity .*; leave the CN empty or set it to the identity/,
    ],
    [
      'refuses two CNs',
      () => peculiarCsr({ name: `CN=${identity}, CN=${identity}`, sans: [{ type: 'dns', value: identity }] }),
      'multiple-common-names',
      /subject has 2 CNs/,
    ],
    [
      'refuses garbage bytes',
      () => Promise.resolve(randomBytes(200)),
      'malformed',
      /could not be parsed: .*send a DER-encoded PKCS#10/,
    ],
    ['refuses an empty request', () => Promise.resolve(Buffer.alloc(0)), 'malformed', /could not be parsed/],
    [
      'refuses PEM text and says to send DER',
      async () =>
        Buffer.from(derToPem(await peculiarCsr({ sans: [{ type: 'dns', value: identity }] }), 'CERTIFICATE REQUEST')),
      'malformed',
      /it is PEM text; send the DER bytes/,
    ],
    [
      'refuses a CSR with trailing bytes',
      async () => Buffer.concat([await peculiarCsr({ sans: [{ type: 'dns', value: identity }] }), Buffer.of(0)]),
      'malformed',
      /trailing bytes/,
    ],
  );

  for (const [name, make, reason, message] of cases) {
    test(name, async () => {
      const der = await make();
      assert.throws(
        () => verifyCsr(der, { identity }),
        (err: unknown) => {
          assert.ok(err instanceof CsrError, `expected CsrError, got ${String(err)}`);
          assert.equal(err.code, 'MESH_ERR_TLS_CSR');
          assert.equal(err.reason, reason);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  test('covers every refusal reason, each with its own message', async () => {
    const byReason = new Map<CsrProblem, string>();
    for (const [, make] of cases) {
      try {
        verifyCsr(await make(), { identity });
      } catch (err) {
        if (err instanceof CsrError && !byReason.has(err.reason)) byReason.set(err.reason, err.message);
      }
    }
    const all: CsrProblem[] = [
      'malformed',
      'unsupported-key',
      'unsupported-signature-algorithm',
      'bad-signature',
      'email-san',
      'ip-san',
      'uri-san',
      'other-san',
      'no-dns-san',
      'multiple-dns-sans',
      'san-mismatch',
      'multiple-common-names',
      'cn-mismatch',
    ];
    assert.deepEqual([...byReason.keys()].sort(), [...all].sort());
    assert.equal(new Set(byReason.values()).size, all.length);
  });

  test('refuses a requested identity that is not a DNS name before looking at the CSR', () => {
    assert.throws(() => verifyCsr(Buffer.alloc(0), { identity: 'not a name' }), IdentityNameError);
  });

  test('throws only CsrError for any mutation of a valid CSR', async () => {
    const { privateKey } = await generateP256KeyPair();
    const good = createCsr({ identity, privateKey });
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const der = Buffer.from(good);
      const mode = i % 3;
      if (mode === 0) der[i % der.length]! ^= 1 << (i % 8);
      if (mode === 1) der[(i * 7) % der.length] = (i * 13) & 0xff;
      const input = mode === 2 ? der.subarray(0, (i * 5) % der.length) : der;
      try {
        verifyCsr(input, { identity });
        accepted++;
      } catch (err) {
        assert.ok(err instanceof CsrError, `mutation ${i} threw ${String(err)}`);
      }
    }
    assert.ok(accepted < 10, `${accepted} mutated CSRs were accepted`);
  });
});

describe('parseCsr', () => {
  let der: Buffer;
  before(async () => {
    der = await peculiarCsr({
      name: `CN=${identity}, O=shop`,
      sans: [
        { type: 'dns', value: identity },
        { type: 'ip', value: '::1' },
      ],
    });
  });

  test('reads subject, key, SANs and signature algorithm without judging them', () => {
    const csr = parseCsr(der);
    assert.deepEqual(csr.commonNames, [identity]);
    assert.deepEqual(
      csr.subject.map((a) => a.value),
      [identity, 'shop'],
    );
    assert.deepEqual(csr.subjectAltNames, [
      { type: 'dns', value: identity },
      { type: 'ip', value: '::1' },
    ]);
    assert.equal(csr.signatureAlgorithm, '1.2.840.10045.4.3.2');
  });
});
