// Help texts of `nodemesh identity` and its verbs, kept apart so `--help` loads nothing else.

export const IDENTITY_HELP = `Usage: nodemesh identity [serve] | init | issuer | inspect | token [flags]

Without a verb (or with 'serve'), runs the identity service: io.linkerd.proxy.identity.Identity/Certify
over TLS on NODEMESH_IDENTITY_LISTEN_ADDR (0.0.0.0:8080), admin on 9990.

Verbs:
  init      create a new trust anchor and issuer (ECDSA P-256)
  issuer    create a new issuer from an existing trust anchor (for rotation)
  inspect   describe certificates in a PEM file and check them against trust anchors
  token     mint a local-mode service-account token

Run 'nodemesh identity <verb> --help' for a verb's flags.

Environment of the service:
  NODEMESH_IDENTITY_LISTEN_ADDR            gRPC address (default 0.0.0.0:8080)
  NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR      admin address: /metrics /ready /live (default 0.0.0.0:9990)
  NODEMESH_IDENTITY_ISSUER_DIR             folder with tls.crt+tls.key or crt.pem+key.pem (reloaded on change)
  NODEMESH_IDENTITY_TRUST_ANCHORS_FILE     PEM trust anchors
  NODEMESH_IDENTITY_TRUST_DOMAIN           default cluster.local
  NODEMESH_IDENTITY_CONTROL_NAMESPACE      default nodemesh
  NODEMESH_IDENTITY_ISSUANCE_LIFETIME      leaf lifetime (default 24h)
  NODEMESH_IDENTITY_CLOCK_SKEW_ALLOWANCE   default 20s
  NODEMESH_IDENTITY_TOKEN_VALIDATOR        kubernetes (TokenReview, default) or local
  NODEMESH_IDENTITY_TOKEN_AUDIENCE         default identity.nodemesh.io
  NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE  PEM public keys of local token signers (local mode)
  NODEMESH_IDENTITY_ISSUER_POLL_INTERVAL   how often the issuer files are re-read (default 5s)
`;

export const INIT_HELP = `Usage: nodemesh identity init --dir DIR [flags]

Creates a new trust anchor and an issuer signed by it, both ECDSA P-256:
  DIR/ca-bundle.crt     the trust anchor certificate (give it to every proxy and the identity service)
  DIR/anchor.key        the trust anchor's private key (mode 0600; keep it offline after init)
  DIR/issuer/crt.pem    the issuer certificate
  DIR/issuer/key.pem    the issuer's private key (mode 0600)

Flags:
  --dir DIR                     where to write (required)
  --trust-domain DOMAIN         default cluster.local
  --control-namespace NS        default nodemesh
  --anchor-lifetime DURATION    default 8760h (one year)
  --issuer-lifetime DURATION    default 8760h, capped at the anchor's
  --force                       replace existing files
  -o, --output table|json
`;

export const ISSUER_HELP = `Usage: nodemesh identity issuer --anchor-cert FILE --anchor-key FILE --out DIR [flags]

Creates a new issuer (intermediate CA, pathLen 0) signed by an existing trust anchor, for issuer
rotation: write it into the identity service's issuer folder and the service loads it without a
restart. Writes DIR/crt.pem and DIR/key.pem (mode 0600).

Flags:
  --anchor-cert FILE        the trust anchor certificate (PEM)
  --anchor-key FILE         the trust anchor's private key (PEM)
  --out DIR                 where to write crt.pem and key.pem (required)
  --trust-domain DOMAIN     default cluster.local
  --control-namespace NS    default nodemesh
  --lifetime DURATION       default 8760h, capped at the anchor's
  --force                   replace existing files
  -o, --output table|json
`;

export const INSPECT_HELP = `Usage: nodemesh identity inspect FILE [--anchors FILE] [-o table|json]

Describes each certificate in a PEM file: subject, issuer, SANs, validity, CA flags, key, SHA-256
fingerprint; with --anchors, also whether it chains to those trust anchors (other certificates in
FILE count as intermediates). Exits 1 when a certificate does not chain or is not valid now.
`;

export const TOKEN_HELP = `Usage: nodemesh identity token --sa NAME --ns NAMESPACE --key FILE [flags]

Mints a local-mode service-account token (a JWT signed ES256 with the local signing key) that the
identity service accepts when NODEMESH_IDENTITY_TOKEN_VALIDATOR=local. Prints the token on stdout.

Flags:
  --sa NAME             the service account
  --ns NAMESPACE        its namespace
  --key FILE            the token signing private key (PEM); created with --create-key
  --create-key          create the signing key pair at FILE (and FILE.pub) if it does not exist
  --lifetime DURATION   default 24h
  --audience AUD        default identity.nodemesh.io
`;
