import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { createIssuer, createTrustAnchor, type CreatedCa } from './ca-create.ts';
import { createCsr } from './csr.ts';
import { describeCertificate, describePemBundle, formatDescription } from './inspect.ts';
import { Issuer, type IssuedCertificate } from './issuer.ts';
import { generateP256KeyPair } from './keys.ts';
import { certificatesToPem } from './pem.ts';
import { TrustBundle } from './trust.ts';

const identity = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const T0 = Date.parse('2032-01-01T00:00:00Z');

let anchor: CreatedCa;
let issuerCa: CreatedCa;
let trust: TrustBundle;
let issued: IssuedCertificate;

before(async () => {
  const now = () => new Date(T0);
  anchor = await createTrustAnchor({ commonName: 'root.nodemesh.cluster.local', now });
  issuerCa = await createIssuer({
    anchor: anchor.certificate,
    anchorKey: anchor.privateKey,
    commonName: 'identity.nodemesh.cluster.local',
    now,
  });
  trust = TrustBundle.fromPem(anchor.certificatePem);
  const issuer = new Issuer({
    material: { certificate: issuerCa.certificate, privateKey: issuerCa.privateKey },
    trustBundle: trust,
    now,
  });
  const { privateKey } = await generateP256KeyPair();
  issued = issuer.issueFromCsr(createCsr({ identity, privateKey }), identity);
});

describe('describeCertificate', () => {
  test('describes a workload leaf and says it chains', () => {
    const d = describeCertificate(issued.leaf, { trust, intermediates: issued.intermediates, at: new Date(T0) });
    assert.equal(d.subject, `CN=${identity}`);
    assert.equal(d.issuer, 'CN=identity.nodemesh.cluster.local');
    assert.equal(d.serialNumber, issued.serialNumberHex);
    assert.equal(d.notAfter.toISOString(), issued.validUntil.toISOString());
    assert.equal(d.isCa, false);
    assert.deepEqual(d.keyUsage, ['digitalSignature', 'keyEncipherment']);
    assert.deepEqual(d.extendedKeyUsage, ['serverAuth', 'clientAuth']);
    assert.deepEqual(d.dnsNames, [identity]);
    assert.equal(d.keyAlgorithm, 'ECDSA P-256');
    assert.equal(d.signatureAlgorithm, 'ecdsa-with-SHA256');
    assert.equal(d.sha256Fingerprint, new X509Certificate(issued.leaf).fingerprint256);
    assert.deepEqual(d.trust, {
      trusted: true,
      path: [`CN=${identity}`, 'CN=identity.nodemesh.cluster.local', 'CN=root.nodemesh.cluster.local'],
      chainNotAfter: issued.validUntil,
    });
  });

  test('says why a leaf does not chain', () => {
    const d = describeCertificate(issued.leaf, { trust, at: new Date(T0) });
    assert.equal(d.trust?.trusted, false);
    assert.ok(d.trust?.trusted === false && d.trust.reason === 'untrusted');
    const late = describeCertificate(issued.leaf, {
      trust,
      intermediates: issued.intermediates,
      at: new Date(T0 + 2 * 86_400_000),
    });
    assert.ok(late.trust?.trusted === false && late.trust.reason === 'expired');
  });

  test('describes CA certificates with their path length', () => {
    const d = describeCertificate(issuerCa.certificate);
    assert.equal(d.isCa, true);
    assert.equal(d.pathLength, 0);
    assert.deepEqual(d.keyUsage, ['keyCertSign', 'cRLSign']);
    assert.equal(d.trust, undefined);
  });

  test('describes every certificate of a bundle and formats it for a terminal', () => {
    const pem = certificatesToPem([issued.leaf, ...issued.intermediates]);
    const all = describePemBundle(pem, { trust, at: new Date(T0) });
    assert.deepEqual(
      all.map((d) => d.trust?.trusted),
      [true, true],
    );
    const text = formatDescription(all[0]!);
    assert.match(text, new RegExp(`^Subject: +CN=${identity.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(text, /^Key: +ECDSA P-256$/m);
    assert.match(text, /^SANs: +DNS:web\.shop\./m);
    assert.match(
      text,
      /^Trusted: +yes, via CN=identity\.nodemesh\.cluster\.local -> CN=root\.nodemesh\.cluster\.local$/m,
    );
    assert.ok(text.endsWith('\n'));
  });
});
