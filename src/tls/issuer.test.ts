import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createIssuer, createTrustAnchor, type CreatedCa } from './ca-create.ts';
import {
  basicConstraintsExtension,
  encodeTbs,
  keyUsageExtension,
  randomSerialNumber,
  signCertificate,
} from './certificate-builder.ts';
import { KEY_USAGE, parseCertificate } from './certificate-parser.ts';
import { createCsr } from './csr.ts';
import { CertificateError, ChainError, CsrError, TlsKeyError } from './errors.ts';
import { Issuer, loadIssuerFromPem, type IssuerOptions } from './issuer.ts';
import { exportPrivateKeyPem, exportPublicKeySpki, generateP256KeyPair } from './keys.ts';
import { derToPem, joinPem } from './pem.ts';
import { TrustBundle } from './trust.ts';
import { encodeCommonNameOnly } from './x509-names.ts';

x509.cryptoProvider.set(webcrypto);
const run = promisify(execFile);

const HOUR = 60 * 60 * 1000;
const identity = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const T0 = Date.parse('2030-06-01T12:00:00.700Z');

function fakeClock(start = T0): { now: () => Date; set: (ms: number) => void } {
  let ms = start;
  return { now: () => new Date(ms), set: (value) => (ms = value) };
}

async function workloadCsr(id = identity): Promise<Buffer> {
  const { privateKey } = await generateP256KeyPair();
  return createCsr({ identity: id, privateKey });
}

let anchor: CreatedCa;
let issuerCa: CreatedCa;
let trust: TrustBundle;
let dir: string;

before(async () => {
  const now = () => new Date(T0 - HOUR);
  anchor = await createTrustAnchor({ commonName: 'root.nodemesh.cluster.local', now });
  issuerCa = await createIssuer({
    anchor: anchor.certificate,
    anchorKey: anchor.privateKey,
    commonName: 'identity.nodemesh.cluster.local',
    now,
  });
  trust = TrustBundle.fromPem(anchor.certificatePem);
  dir = await mkdtemp(join(tmpdir(), 'nodemesh-tls-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function newIssuer(options: IssuerOptions = {}, now = fakeClock().now, ca: CreatedCa = issuerCa): Issuer {
  return new Issuer(
    { material: { certificate: ca.certificate, privateKey: ca.privateKey }, trustBundle: trust, now },
    options,
  );
}

async function opensslVerify(
  leaf: Buffer,
  intermediates: readonly Buffer[],
  at: Date,
  purpose: string,
): Promise<string> {
  const name = `${Math.random().toString(36).slice(2)}`;
  const files = {
    anchor: join(dir, `${name}-anchor.pem`),
    chain: join(dir, `${name}-chain.pem`),
    leaf: join(dir, `${name}-leaf.pem`),
  };
  await writeFile(files.anchor, anchor.certificatePem);
  await writeFile(files.chain, intermediates.map((d) => derToPem(d)).join(''));
  await writeFile(files.leaf, derToPem(leaf));
  const { stdout } = await run('/usr/bin/openssl', [
    'verify',
    '-x509_strict',
    '-purpose',
    purpose,
    '-attime',
    String(Math.floor(at.getTime() / 1000)),
    '-CAfile',
    files.anchor,
    '-untrusted',
    files.chain,
    files.leaf,
  ]);
  return stdout;
}

describe('Issuer.issue', () => {
  test('issues a leaf that Node says the issuer certificate signed', async () => {
    const issued = newIssuer().issueFromCsr(await workloadCsr(), identity);
    const leaf = new X509Certificate(issued.leaf);
    const issuer = new X509Certificate(issuerCa.certificate);
    assert.equal(leaf.checkIssued(issuer), true);
    assert.equal(leaf.verify(issuer.publicKey), true);
    assert.equal(leaf.ca, false);
    assert.equal(leaf.checkHost(identity), identity);
  });

  test('sets NotBefore to now minus the skew and NotAfter to now plus lifetime plus skew', async () => {
    const issued = newIssuer().issueFromCsr(await workloadCsr(), identity);
    const leaf = new X509Certificate(issued.leaf);
    const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
    assert.equal(leaf.validFromDate.toISOString(), second(T0 - 20_000));
    assert.equal(leaf.validToDate.toISOString(), second(T0 + 24 * HOUR + 20_000));
    assert.equal(issued.notBefore.toISOString(), leaf.validFromDate.toISOString());
    assert.equal(issued.validUntil.toISOString(), leaf.validToDate.toISOString());
  });

  test('honours a configured lifetime and skew', async () => {
    const issued = newIssuer({ lifetimeMs: 2 * HOUR, clockSkewMs: 0 }).issueFromCsr(await workloadCsr(), identity);
    const leaf = new X509Certificate(issued.leaf);
    assert.equal(leaf.validToDate.getTime() - leaf.validFromDate.getTime(), 2 * HOUR);
  });

  test('caps NotAfter at the issuer expiry when the issuer expires in an hour', async () => {
    const shortIssuer = await createIssuer({
      anchor: anchor.certificate,
      anchorKey: anchor.privateKey,
      commonName: 'identity.nodemesh.cluster.local',
      lifetimeMs: HOUR,
      now: () => new Date(T0),
    });
    const issuer = newIssuer({}, fakeClock().now, shortIssuer);
    const issued = issuer.issueFromCsr(await workloadCsr(), identity);
    const issuerNotAfter = new X509Certificate(shortIssuer.certificate).validToDate;
    const leaf = new X509Certificate(issued.leaf);
    assert.ok(leaf.validToDate <= issuerNotAfter);
    assert.equal(leaf.validToDate.getTime(), issuerNotAfter.getTime());
    assert.equal(issued.validUntil.getTime(), issuerNotAfter.getTime());
    assert.equal(issuer.chainNotAfter.getTime(), issuerNotAfter.getTime());
  });

  test('sets the extensions Linkerd sets, as read by @peculiar/x509', async () => {
    const issued = newIssuer().issueFromCsr(await workloadCsr(), identity);
    const leaf = new x509.X509Certificate(issued.leaf);
    const issuerCert = new x509.X509Certificate(issuerCa.certificate);
    assert.equal(await leaf.verify({ publicKey: issuerCert.publicKey, signatureOnly: true }), true);
    assert.equal(leaf.subject, `CN=${identity}`);
    assert.equal(leaf.issuer, 'CN=identity.nodemesh.cluster.local');
    assert.deepEqual(leaf.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-256' } });

    const ku = leaf.getExtension(x509.KeyUsagesExtension);
    assert.equal(ku?.critical, true);
    assert.equal(ku?.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
    assert.deepEqual([...(eku?.usages ?? [])], [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(san?.names.toJSON(), [{ type: 'dns', value: identity }]);
    assert.equal(san?.critical, false);
    assert.equal(leaf.getExtension(x509.BasicConstraintsExtension), null);

    const point = parseCertificate(issued.leaf).publicKey.publicKeyBits;
    const ski = leaf.getExtension(x509.SubjectKeyIdentifierExtension);
    assert.equal(ski?.keyId, createHash('sha1').update(point).digest('hex'));
    const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension);
    assert.equal(aki?.keyId, issuerCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  });

  test('gives an empty subject and a critical SAN when the CSR has no CN', async () => {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: '',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: identity }])],
    });
    const issued = newIssuer().issueFromCsr(Buffer.from(csr.rawData), identity);
    const parsed = parseCertificate(issued.leaf);
    assert.deepEqual(parsed.subject, []);
    assert.equal(parsed.extensions.find((e) => e.oid === '2.5.29.17')?.critical, true);
    assert.match(await opensslVerify(issued.leaf, issued.intermediates, new Date(T0), 'sslclient'), /: OK/);
  });

  test('draws unique positive 16-octet serial numbers', async () => {
    const issuer = newIssuer();
    const csr = await workloadCsr();
    const serials = Array.from({ length: 40 }, () => issuer.issueFromCsr(csr, identity).serialNumberHex);
    assert.equal(new Set(serials).size, serials.length);
    for (const serial of serials) assert.match(serial, /^[4-7][0-9a-f]{31}$/);
    const leaf = new X509Certificate(issuer.issueFromCsr(csr, identity).leaf);
    assert.match(leaf.serialNumber, /^[4-7][0-9A-F]{31}$/);
  });

  test('returns the issuer as the chain and the leaf NotAfter as validUntil', async () => {
    const issued = newIssuer().issueFromCsr(await workloadCsr(), identity);
    assert.equal(issued.intermediates.length, 1);
    assert.deepEqual(issued.intermediates[0], issuerCa.certificate);
    assert.equal(issued.identity, identity);
  });

  test('produces a leaf that openssl verify accepts for TLS servers and clients', async () => {
    const issued = newIssuer().issueFromCsr(await workloadCsr(), identity);
    for (const purpose of ['sslserver', 'sslclient']) {
      assert.match(await opensslVerify(issued.leaf, issued.intermediates, new Date(T0), purpose), /leaf\.pem: OK/);
    }
  });

  test('encodes times from 2050 as GeneralizedTime that openssl and Node read back', async () => {
    const start = Date.parse('2049-12-31T23:00:00Z');
    const root = await createTrustAnchor({ commonName: 'root', lifetimeMs: 48 * HOUR, now: () => new Date(start) });
    const ca = await createIssuer({
      anchor: root.certificate,
      anchorKey: root.privateKey,
      commonName: 'identity',
      now: () => new Date(start),
    });
    const issuer = new Issuer({
      material: { certificate: ca.certificate, privateKey: ca.privateKey },
      trustBundle: TrustBundle.fromPem(root.certificatePem),
      now: () => new Date(start + 30 * 60 * 1000),
    });
    const issued = issuer.issueFromCsr(await workloadCsr(), identity);
    assert.equal(new X509Certificate(issued.leaf).validToDate.toISOString(), '2050-01-01T23:30:20.000Z');
    const previous = anchor;
    anchor = root;
    try {
      assert.match(await opensslVerify(issued.leaf, issued.intermediates, new Date(start + HOUR), 'sslserver'), /: OK/);
    } finally {
      anchor = previous;
    }
  });

  test('refuses a CSR that breaks the rules with CsrError', () => {
    assert.throws(() => newIssuer().issueFromCsr(Buffer.from('nope'), identity), CsrError);
    assert.throws(
      () =>
        newIssuer().issueFromCsr(
          createCsr({ identity, privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }),
          'db.shop',
        ),
      (err: unknown) => err instanceof CsrError && err.reason === 'san-mismatch',
    );
  });

  test('refuses to issue once the issuer chain has expired', () => {
    const clock = fakeClock();
    const issuer = newIssuer({}, clock.now);
    clock.set(issuer.chainNotAfter.getTime() + 1000);
    assert.throws(
      () =>
        issuer.issueFromCsr(
          createCsr({ identity, privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }),
          identity,
        ),
      (err: unknown) =>
        err instanceof ChainError && err.reason === 'expired' && /load a renewed issuer certificate/.test(err.message),
    );
    assert.throws(() => issuer.checkValid(), ChainError);
  });
});

describe('Issuer validation at load', () => {
  async function leafAsIssuer(): Promise<{ certificate: Buffer; privateKey: KeyObject }> {
    const { privateKey } = await generateP256KeyPair();
    const issued = newIssuer().issueFromCsr(createCsr({ identity, privateKey }), identity);
    return { certificate: issued.leaf, privateKey };
  }

  async function caWithoutKeyCertSign(): Promise<{ certificate: Buffer; privateKey: KeyObject }> {
    const { privateKey } = await generateP256KeyPair();
    const tbs = encodeTbs({
      serialNumber: randomSerialNumber(),
      issuerName: parseCertificate(anchor.certificate).subjectName,
      notBefore: new Date(T0 - HOUR),
      notAfter: new Date(T0 + HOUR),
      subjectName: encodeCommonNameOnly('no-cert-sign'),
      spki: exportPublicKeySpki(privateKey),
      extensions: [basicConstraintsExtension(true, 0), keyUsageExtension(KEY_USAGE.digitalSignature)],
    });
    return { certificate: signCertificate(tbs, anchor.privateKey), privateKey };
  }

  type Setup = { material: { certificate: Buffer; privateKey: KeyObject }; trust?: TrustBundle; at?: number };
  const cases: [string, () => Setup | Promise<Setup>, (err: unknown) => boolean][] = [
    [
      'refuses a certificate that is not a CA',
      async () => ({ material: await leafAsIssuer() }),
      (err) =>
        err instanceof ChainError &&
        err.reason === 'not-a-ca' &&
        /is not a CA certificate \(basicConstraints cA=true is required\)/.test(err.message),
    ],
    [
      'refuses a CA whose KeyUsage lacks keyCertSign',
      async () => ({ material: await caWithoutKeyCertSign() }),
      (err) => err instanceof ChainError && err.reason === 'no-key-cert-sign' && /lacks keyCertSign/.test(err.message),
    ],
    [
      'refuses an issuer that does not chain to the trust anchors',
      async () => {
        const other = await createTrustAnchor({ commonName: 'root.other.example', now: () => new Date(T0 - HOUR) });
        return {
          material: { certificate: issuerCa.certificate, privateKey: issuerCa.privateKey },
          trust: TrustBundle.fromPem(other.certificatePem),
        };
      },
      (err) =>
        err instanceof ChainError &&
        err.reason === 'untrusted' &&
        /was not issued by any trust anchor.*root\.other\.example/.test(err.message),
    ],
    [
      'refuses an expired issuer',
      () => ({
        material: { certificate: issuerCa.certificate, privateKey: issuerCa.privateKey },
        at: T0 + 400 * 24 * HOUR,
      }),
      (err) => err instanceof ChainError && err.reason === 'expired' && /expired at .* \(checked at /.test(err.message),
    ],
    [
      'refuses an issuer that is not valid yet',
      () => ({
        material: { certificate: issuerCa.certificate, privateKey: issuerCa.privateKey },
        at: T0 - 2 * HOUR,
      }),
      (err) => err instanceof ChainError && err.reason === 'not-yet-valid',
    ],
    [
      'refuses a key that does not belong to the issuer certificate',
      async () => ({
        material: { certificate: issuerCa.certificate, privateKey: (await generateP256KeyPair()).privateKey },
      }),
      (err) => err instanceof TlsKeyError && err.reason === 'mismatch' && /must be a pair/.test(err.message),
    ],
    [
      'refuses an issuer key that is not P-256',
      () => ({
        material: {
          certificate: issuerCa.certificate,
          privateKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
        },
      }),
      (err) => err instanceof TlsKeyError && err.reason === 'unsupported' && /ECDSA P-384/.test(err.message),
    ],
    [
      'refuses bytes that are not a certificate',
      () => ({ material: { certificate: Buffer.from('garbage'), privateKey: issuerCa.privateKey } }),
      (err) =>
        err instanceof CertificateError && /issuer certificate is not a valid DER X\.509 certificate/.test(err.message),
    ],
  ];

  for (const [name, make, check] of cases) {
    test(name, async () => {
      const { material, trust: bundle, at } = await make();
      assert.throws(() => new Issuer({ material, trustBundle: bundle ?? trust, now: () => new Date(at ?? T0) }), check);
    });
  }

  test('loads an issuer from PEM files, key with or without a trailing newline', () => {
    const issuer = loadIssuerFromPem(
      {
        certificatePem: issuerCa.certificatePem.trimEnd(),
        privateKeyPem: exportPrivateKeyPem(issuerCa.privateKey).trimEnd(),
      },
      { trustBundle: trust, now: fakeClock().now },
    );
    assert.equal(issuer.subject, 'CN=identity.nodemesh.cluster.local');
  });

  test('accepts an issuer that is itself a trust anchor and returns no intermediates', async () => {
    const issuer = new Issuer({
      material: { certificate: anchor.certificate, privateKey: anchor.privateKey },
      trustBundle: trust,
      now: fakeClock().now,
    });
    const issued = issuer.issueFromCsr(await workloadCsr(), identity);
    assert.deepEqual(issued.intermediates, []);
    assert.equal(new X509Certificate(issued.leaf).verify(new X509Certificate(anchor.certificate).publicKey), true);
  });

  test('refuses nonsensical lifetimes', () => {
    assert.throws(() => newIssuer({ lifetimeMs: 0 }), RangeError);
    assert.throws(() => newIssuer({ clockSkewMs: -1 }), RangeError);
  });
});

describe('createTrustAnchor and createIssuer', () => {
  test('make a self-signed root CA and a pathLen-0 issuer under it', () => {
    const root = parseCertificate(anchor.certificate);
    assert.deepEqual(root.basicConstraints, { ca: true, pathLength: undefined });
    assert.equal(root.keyUsage, KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign);
    assert.ok(root.subjectName.equals(root.issuerName));
    assert.equal(
      new X509Certificate(anchor.certificate).verify(new X509Certificate(anchor.certificate).publicKey),
      true,
    );

    const issuer = parseCertificate(issuerCa.certificate);
    assert.deepEqual(issuer.basicConstraints, { ca: true, pathLength: 0 });
    assert.equal(issuer.keyUsage, KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign);
    assert.deepEqual(issuer.authorityKeyId, root.subjectKeyId);
    assert.ok(issuer.notAfter <= root.notAfter);
    assert.match(
      joinPem([anchor.certificatePem, issuerCa.certificatePem]),
      /-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----/,
    );
  });

  test('caps the issuer at the anchor expiry', async () => {
    const root = await createTrustAnchor({ commonName: 'short-root', lifetimeMs: HOUR, now: () => new Date(T0) });
    const ca = await createIssuer({
      anchor: root.certificate,
      anchorKey: root.privateKey,
      commonName: 'identity',
      now: () => new Date(T0),
    });
    assert.equal(
      parseCertificate(ca.certificate).notAfter.getTime(),
      parseCertificate(root.certificate).notAfter.getTime(),
    );
  });

  test('refuses an anchor key that does not match the anchor', async () => {
    await assert.rejects(
      createIssuer({ anchor: anchor.certificate, anchorKey: issuerCa.privateKey, commonName: 'identity' }),
      (err: unknown) => err instanceof TlsKeyError && err.reason === 'mismatch',
    );
  });
});
