import assert from 'node:assert/strict';
import { X509Certificate, type KeyObject } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { createIssuer, createTrustAnchor, type CreatedCa } from './ca-create.ts';
import {
  authorityKeyIdExtension,
  basicConstraintsExtension,
  encodeTbs,
  keyUsageExtension,
  randomSerialNumber,
  signCertificate,
  subjectAltNameExtension,
  subjectKeyIdExtension,
} from './certificate-builder.ts';
import { KEY_USAGE, parseCertificate } from './certificate-parser.ts';
import { TAG, contextPrimitive, encodeIa5String, encodeSequence, readWhole } from './der.ts';
import { CertificateError, ChainError, type ChainProblem } from './errors.ts';
import { exportPublicKeySpki, generateP256KeyPair } from './keys.ts';
import { derToPem } from './pem.ts';
import { keyIdentifier, readSpki } from './spki.ts';
import { TrustBundle, peerIdentity } from './trust.ts';
import { encodeCommonNameOnly } from './x509-names.ts';

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse('2031-03-01T00:00:00Z');
const at = (offset = 0) => new Date(T0 + offset);

interface Made {
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
}

/** A certificate built directly, for shapes the public helpers refuse to make. */
async function make(options: {
  signer: Made;
  cn: string;
  ca?: boolean;
  pathLength?: number;
  keyUsage?: number;
  from?: number;
  to?: number;
  sans?: Buffer;
  issuerName?: Buffer;
}): Promise<Made> {
  const { privateKey } = await generateP256KeyPair();
  const signer = parseCertificate(options.signer.certificate);
  const spki = exportPublicKeySpki(privateKey);
  const extensions = [
    subjectKeyIdExtension(keyIdentifier(readSpki(spki, readWhole(spki, TAG.SEQUENCE, 'spki')).publicKeyBits)),
    authorityKeyIdExtension(signer.subjectKeyId!),
  ];
  if (options.ca !== undefined) extensions.push(basicConstraintsExtension(options.ca, options.pathLength));
  if (options.keyUsage !== undefined) extensions.push(keyUsageExtension(options.keyUsage));
  if (options.sans !== undefined) extensions.push(subjectAltNameExtension(options.sans, false));
  const tbs = encodeTbs({
    serialNumber: randomSerialNumber(),
    issuerName: options.issuerName ?? signer.subjectName,
    notBefore: at(options.from ?? -HOUR),
    notAfter: at(options.to ?? 24 * HOUR),
    subjectName: encodeCommonNameOnly(options.cn),
    spki,
    extensions,
  });
  return { certificate: signCertificate(tbs, options.signer.privateKey), privateKey };
}

const CA_USAGE = KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign;
const LEAF_USAGE = KEY_USAGE.digitalSignature;

let anchor: CreatedCa;
let issuer: CreatedCa;
let trust: TrustBundle;

before(async () => {
  anchor = await createTrustAnchor({ commonName: 'root.nodemesh.cluster.local', now: () => at(-2 * HOUR) });
  issuer = await createIssuer({
    anchor: anchor.certificate,
    anchorKey: anchor.privateKey,
    commonName: 'identity.nodemesh.cluster.local',
    now: () => at(-2 * HOUR),
  });
  trust = TrustBundle.fromPem(anchor.certificatePem);
});

describe('TrustBundle.verifyChain', () => {
  test('accepts leaf, issuer and anchor, with intermediates in any order and unused ones ignored', async () => {
    const leaf = await make({ signer: issuer, cn: 'leaf', keyUsage: LEAF_USAGE });
    const stray = await make({ signer: anchor, cn: 'stray', ca: true, keyUsage: CA_USAGE });
    const chain = trust.verifyChain(leaf.certificate, [stray.certificate, issuer.certificate], at());
    assert.deepEqual(
      chain.path.map((c) => c.subject),
      ['CN=leaf', 'CN=identity.nodemesh.cluster.local', 'CN=root.nodemesh.cluster.local'],
    );
    assert.equal(chain.notAfter.getTime(), at(24 * HOUR).getTime());
  });

  test('accepts an anchor itself and Node X509Certificate inputs', () => {
    const chain = trust.verifyChain(new X509Certificate(anchor.certificate), [], at());
    assert.equal(chain.path.length, 1);
  });

  const failures: [
    string,
    () => Promise<{ leaf: Made; intermediates: Made[]; when?: number }>,
    ChainProblem,
    RegExp,
  ][] = [
    [
      'refuses a leaf whose intermediate is missing',
      async () => ({ leaf: await make({ signer: issuer, cn: 'leaf' }), intermediates: [] }),
      'untrusted',
      /certificate "CN=leaf" .* was not issued by any trust anchor or given intermediate; trust anchors: certificate "CN=root\.nodemesh\.cluster\.local"/,
    ],
    [
      'refuses a leaf signed by another key under the issuer name',
      async () => {
        const impostor = await make({
          signer: anchor,
          cn: 'identity.nodemesh.cluster.local',
          ca: true,
          keyUsage: CA_USAGE,
        });
        const leaf = await make({
          signer: impostor,
          cn: 'leaf',
          issuerName: parseCertificate(issuer.certificate).subjectName,
        });
        return { leaf, intermediates: [issuer] };
      },
      'untrusted',
      /has the issuer's name but its key does not verify the signature/,
    ],
    [
      'refuses an expired leaf',
      async () => ({
        leaf: await make({ signer: issuer, cn: 'leaf', to: HOUR }),
        intermediates: [issuer],
        when: 2 * HOUR,
      }),
      'expired',
      /certificate "CN=leaf" .* expired at 2031-03-01T01:00:00\.000Z \(checked at 2031-03-01T02:00:00\.000Z\)/,
    ],
    [
      'refuses a leaf that is not valid yet',
      async () => ({ leaf: await make({ signer: issuer, cn: 'leaf', from: HOUR }), intermediates: [issuer] }),
      'not-yet-valid',
      /is not valid until 2031-03-01T01:00:00\.000Z/,
    ],
    [
      'refuses a chain whose anchor has expired even though the leaf has not',
      async () => {
        const shortRoot = await createTrustAnchor({
          commonName: 'short-root',
          lifetimeMs: 2 * HOUR,
          now: () => at(-HOUR),
        });
        trustOverride = TrustBundle.fromPem(shortRoot.certificatePem);
        const ca = await make({
          signer: shortRoot,
          cn: 'long-issuer',
          ca: true,
          pathLength: 0,
          keyUsage: CA_USAGE,
          to: 48 * HOUR,
        });
        return { leaf: await make({ signer: ca, cn: 'leaf', to: 48 * HOUR }), intermediates: [ca], when: 3 * HOUR };
      },
      'expired',
      /certificate "CN=short-root" .* expired/,
    ],
    [
      'refuses an intermediate that is not a CA',
      async () => {
        const notCa = await make({ signer: anchor, cn: 'not-a-ca', ca: false });
        return { leaf: await make({ signer: notCa, cn: 'leaf' }), intermediates: [notCa] };
      },
      'not-a-ca',
      /certificate "CN=not-a-ca" .* signed a certificate but is not a CA/,
    ],
    [
      'refuses an intermediate without keyCertSign',
      async () => {
        const ca = await make({ signer: anchor, cn: 'no-sign', ca: true, keyUsage: KEY_USAGE.digitalSignature });
        return { leaf: await make({ signer: ca, cn: 'leaf' }), intermediates: [ca] };
      },
      'no-key-cert-sign',
      /certificate "CN=no-sign" .* KeyUsage lacks keyCertSign/,
    ],
    [
      'refuses a CA below an issuer with pathLen 0',
      async () => {
        const sub = await make({ signer: issuer, cn: 'sub-ca', ca: true, keyUsage: CA_USAGE });
        return { leaf: await make({ signer: sub, cn: 'leaf' }), intermediates: [sub, issuer] };
      },
      'path-length',
      /"CN=identity\.nodemesh\.cluster\.local" .* allows 0 intermediate CA\(s\) below it \(pathLenConstraint\) but the chain has 1/,
    ],
  ];

  let trustOverride: TrustBundle | undefined;
  for (const [name, build, reason, message] of failures) {
    test(name, async () => {
      trustOverride = undefined;
      const { leaf, intermediates, when } = await build();
      const bundle = trustOverride ?? trust;
      assert.throws(
        () =>
          bundle.verifyChain(
            leaf.certificate,
            intermediates.map((i) => i.certificate),
            at(when ?? 0),
          ),
        (err: unknown) => {
          assert.ok(err instanceof ChainError, String(err));
          assert.equal(err.code, 'MESH_ERR_TLS_CHAIN');
          assert.equal(err.reason, reason);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});

describe('TrustBundle', () => {
  test('keeps the anchors as newline-terminated PEM with a stable SHA-256', () => {
    const again = TrustBundle.fromPem(anchor.certificatePem.trimEnd());
    assert.equal(again.pem, anchor.certificatePem);
    assert.equal(again.sha256, trust.sha256);
    assert.match(trust.sha256, /^[0-9a-f]{64}$/);
    assert.equal(trust.includes(anchor.certificate), true);
    assert.equal(trust.includes(issuer.certificate), false);
  });

  test('refuses a bundle with a certificate that is not a CA', async () => {
    const leaf = await make({ signer: issuer, cn: 'leaf', ca: false });
    assert.throws(
      () =>
        TrustBundle.fromPem(
          anchor.certificatePem + derToPem(leaf.certificate),
          'NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS',
        ),
      (err: unknown) =>
        err instanceof ChainError &&
        err.reason === 'not-a-ca' &&
        /NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS certificate 2 \(certificate "CN=leaf"/.test(err.message),
    );
  });

  test('refuses an empty bundle', () => {
    assert.throws(() => TrustBundle.fromPem(''), CertificateError);
  });
});

describe('peerIdentity', () => {
  test('returns the DNS and URI SANs of a certificate', async () => {
    const sans = encodeSequence(
      encodeIa5String('web.shop.serviceaccount.identity.nodemesh.cluster.local', contextPrimitive(2)),
      encodeIa5String('spiffe://cluster.local/ns/shop/sa/web', contextPrimitive(6)),
    );
    const leaf = await make({ signer: issuer, cn: 'leaf', sans });
    assert.deepEqual(peerIdentity(new X509Certificate(leaf.certificate)), {
      dnsNames: ['web.shop.serviceaccount.identity.nodemesh.cluster.local'],
      uris: ['spiffe://cluster.local/ns/shop/sa/web'],
    });
  });
});
