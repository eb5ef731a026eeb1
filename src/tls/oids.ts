// Object identifiers src/tls reads and writes, with the short names used in messages.
//
// Contract: constants only; no behaviour beyond the name lookup.

export const OID = {
  // Key and signature algorithms
  EC_PUBLIC_KEY: '1.2.840.10045.2.1',
  RSA_ENCRYPTION: '1.2.840.113549.1.1.1',
  RSASSA_PSS: '1.2.840.113549.1.1.10',
  ED25519: '1.3.101.112',
  ED448: '1.3.101.113',
  DSA: '1.2.840.10040.4.1',
  P256: '1.2.840.10045.3.1.7',
  P384: '1.3.132.0.34',
  P521: '1.3.132.0.35',
  SECP256K1: '1.3.132.0.10',
  ECDSA_WITH_SHA256: '1.2.840.10045.4.3.2',
  ECDSA_WITH_SHA384: '1.2.840.10045.4.3.3',
  ECDSA_WITH_SHA512: '1.2.840.10045.4.3.4',
  // Name attributes
  COMMON_NAME: '2.5.4.3',
  // PKCS#9
  EXTENSION_REQUEST: '1.2.840.113549.1.9.14',
  // Certificate extensions
  SUBJECT_KEY_ID: '2.5.29.14',
  KEY_USAGE: '2.5.29.15',
  SUBJECT_ALT_NAME: '2.5.29.17',
  BASIC_CONSTRAINTS: '2.5.29.19',
  AUTHORITY_KEY_ID: '2.5.29.35',
  EXT_KEY_USAGE: '2.5.29.37',
  // Extended key usages
  SERVER_AUTH: '1.3.6.1.5.5.7.3.1',
  CLIENT_AUTH: '1.3.6.1.5.5.7.3.2',
} as const;

const NAMES: Readonly<Record<string, string>> = {
  [OID.EC_PUBLIC_KEY]: 'ECDSA',
  [OID.RSA_ENCRYPTION]: 'RSA',
  [OID.RSASSA_PSS]: 'RSA-PSS',
  [OID.ED25519]: 'Ed25519',
  [OID.ED448]: 'Ed448',
  [OID.DSA]: 'DSA',
  [OID.P256]: 'P-256 (prime256v1)',
  [OID.P384]: 'P-384 (secp384r1)',
  [OID.P521]: 'P-521 (secp521r1)',
  [OID.SECP256K1]: 'secp256k1',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  [OID.ECDSA_WITH_SHA256]: 'ecdsa-with-SHA256',
  [OID.ECDSA_WITH_SHA384]: 'ecdsa-with-SHA384',
  [OID.ECDSA_WITH_SHA512]: 'ecdsa-with-SHA512',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  [OID.SERVER_AUTH]: 'serverAuth',
  [OID.CLIENT_AUTH]: 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

/** A readable name for `oid`, or the dotted form when it has none here. */
export function oidName(oid: string): string {
  return NAMES[oid] ?? oid;
}
