// Property-based tests (fast-check) of everything that parses bytes or objects a peer or a user
// controls: transport headers, HTTP/1 requests, chunked bodies and upstream responses, TLS ClientHellos, certificates and CSRs, ServiceProfiles, Gateway
// API routes and AdmissionReviews. The property is always the same: any input gets a result or the
// component's own typed error (a MeshError with its stable code) — never a TypeError, a RangeError
// or a hang — and well-formed input round-trips. Runs are seeded and bounded (numRuns), so a
// failure reproduces with the printed seed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { reviewAdmission } from '../../controller/injector/admission.ts';
import { loadChartValues, parseInjectorConfig } from '../../controller/injector/injector-config.ts';
import { AdmissionReviewError } from '../../controller/injector/errors.ts';
import { reviewValidation } from '../../controller/injector/validate.ts';
import { BodyDecoder } from '../../proxy/http/h1-server/body-decoder.ts';
import { H1RequestError, parseRequestHead } from '../../proxy/http/h1-server/request-head.ts';
import { H1ParseError, H1ResponseParser } from '../../proxy/http/h1-response-parser.ts';
import { parseClientHello } from '../../proxy/tls/client-hello.ts';
import {
  TransportHeaderDecoder,
  decodeTransportHeader,
  encodeTransportHeader,
  type TransportHeader,
} from '../../src/api/index.ts';
import { MeshError } from '../../src/errors/index.ts';
import { parseServiceProfile, ProfileValidationError } from '../../src/profiles/index.ts';
import { parseRoute } from '../../src/routes/index.ts';
import { createTestCa } from '../../src/testing/index.ts';
import { parseCertificate } from '../../src/tls/certificate-parser.ts';
import { parseCsr } from '../../src/tls/index.ts';

// NODEMESH_PROPERTY_RUNS raises the run count for a longer search on demand.
const RUNS = { numRuns: Number(process.env.NODEMESH_PROPERTY_RUNS ?? 400), seed: 20261122 };

/** Runs `fn`; a thrown error must be a MeshError with one of `codes`. */
function onlyTyped(fn: () => unknown, codes: readonly string[]): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MeshError, `expected a MeshError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `unexpected code ${err.code}: ${err.message}`);
  }
}

/** Byte strings that often start like the real thing, so the deeper branches are reached too. */
function nearly(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc
      .tuple(fc.integer({ min: 0, max: valid.length }), fc.uint8Array({ maxLength: 64 }))
      .map(([cut, tail]) => Buffer.concat([valid.subarray(0, cut), tail])),
    fc
      .array(fc.tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.integer({ min: 0, max: 255 })), {
        maxLength: 8,
      })
      .map((flips) => {
        const copy = Buffer.from(valid);
        for (const [at, value] of flips) copy[at] = value;
        return copy;
      }),
  );
}

const header: fc.Arbitrary<TransportHeader> = fc.record({
  port: fc.integer({ min: 1, max: 65535 }),
  name: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  sessionProtocol: fc.constantFrom(undefined, 'http1' as const, 'http2' as const),
});

describe('transport header (transport.l5d.io/v1)', () => {
  test('any bytes are decoded or refused with MESH_ERR_TRANSPORT_HEADER', () => {
    const valid = encodeTransportHeader({ port: 8080, name: 'web', sessionProtocol: 'http2' });
    fc.assert(
      fc.property(nearly(valid), (bytes) =>
        onlyTyped(() => decodeTransportHeader(bytes), ['MESH_ERR_TRANSPORT_HEADER']),
      ),
      RUNS,
    );
  });

  test('a header round-trips however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        header,
        fc.array(fc.nat({ max: 64 }), { maxLength: 6 }),
        fc.uint8Array({ maxLength: 16 }),
        (h, cuts, rest) => {
          const frame = Buffer.concat([encodeTransportHeader(h), rest]);
          const decoder = new TransportHeaderDecoder();
          let at = 0;
          let result: ReturnType<TransportHeaderDecoder['push']> | undefined;
          for (const cut of [...cuts, frame.length]) {
            const end = Math.min(frame.length, at + cut);
            result = decoder.push(frame.subarray(at, end));
            at = end;
            if (result.kind === 'decoded') break;
          }
          assert.equal(result?.kind, 'decoded');
          if (result?.kind !== 'decoded') return;
          assert.equal(result.header.port, h.port);
          assert.equal(result.header.sessionProtocol, h.sessionProtocol);
          assert.deepEqual(
            Buffer.concat([result.rest, frame.subarray(at)]),
            Buffer.from(rest),
            'the bytes after the header are kept',
          );
        },
      ),
      RUNS,
    );
  });
});

describe('HTTP/1 from clients and upstreams', () => {
  const request = Buffer.from(
    'POST /orders?id=1 HTTP/1.1\r\nHost: web.shop:8080\r\nContent-Length: 5\r\nCookie: a=1\r\nCookie: b=2\r\nX-A:  v ',
    'latin1',
  );

  test('any request head is parsed or refused with an H1RequestError (400, 417 or 431)', () => {
    fc.assert(
      fc.property(nearly(request), (bytes) => {
        try {
          const head = parseRequestHead(Buffer.from(bytes).toString('latin1'), { maxHeaders: 100 });
          assert.ok(head.minor === 0 || head.minor === 1);
        } catch (err) {
          assert.ok(err instanceof H1RequestError, `expected an H1RequestError, got ${String(err)}`);
          assert.ok([400, 417, 431].includes(err.status));
        }
      }),
      RUNS,
    );
  });

  test('a chunked body decodes to the same bytes however it is cut, and any bytes are decoded or refused', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 5 }),
        fc.array(fc.nat({ max: 30 }), { maxLength: 8 }),
        (chunks, cuts) => {
          const wire = Buffer.concat([
            ...chunks.flatMap((c) => [
              Buffer.from(`${c.length.toString(16)};x=1\r\n`),
              Buffer.from(c),
              Buffer.from('\r\n'),
            ]),
            Buffer.from('0\r\nX-T: 1\r\n\r\nNEXT'),
          ]);
          const got: Buffer[] = [];
          let ended = 0;
          const decoder = new BodyDecoder(
            'chunked',
            0,
            (c) => got.push(Buffer.from(c)),
            () => ended++,
          );
          let at = 0;
          let rest = Buffer.alloc(0);
          for (const cut of [...cuts, wire.length]) {
            const end = Math.min(wire.length, at + cut);
            const piece = wire.subarray(at, end);
            const stop = decoder.feed(piece, 0);
            at = end;
            if (decoder.done) {
              rest = Buffer.concat([piece.subarray(stop), wire.subarray(at)]);
              break;
            }
          }
          assert.equal(ended, 1);
          assert.deepEqual(Buffer.concat(got), Buffer.concat(chunks.map((c) => Buffer.from(c))));
          assert.equal(rest.toString(), 'NEXT');
        },
      ),
      RUNS,
    );
    const valid = Buffer.from('5\r\nhello\r\n0\r\n\r\n');
    fc.assert(
      fc.property(nearly(valid), (bytes) => {
        const decoder = new BodyDecoder(
          'chunked',
          0,
          () => undefined,
          () => undefined,
        );
        try {
          decoder.feed(Buffer.from(bytes), 0);
        } catch (err) {
          assert.ok(err instanceof H1RequestError, `expected an H1RequestError, got ${String(err)}`);
        }
      }),
      RUNS,
    );
  });

  test('any upstream response bytes are parsed or refused with an H1ParseError', () => {
    const response = Buffer.from(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\ngrpc-status: 0\r\n\r\n',
    );
    fc.assert(
      fc.property(nearly(response), (bytes) => {
        const parser = new H1ResponseParser({
          informational: () => undefined,
          head: () => undefined,
          body: () => undefined,
          complete: () => undefined,
        });
        try {
          parser.feed(Buffer.from(bytes));
        } catch (err) {
          assert.ok(err instanceof H1ParseError, `expected an H1ParseError, got ${String(err)}`);
        }
      }),
      RUNS,
    );
  });
});

describe('TLS ClientHello peek', () => {
  test('any bytes give a verdict and never throw', () => {
    const hello = Buffer.from(
      '16030100a5010000a10303' +
        '00'.repeat(32) +
        '000002130101000076000000150013000010776562' +
        '2e73686f702e636c75737465722e6c6f63616c',
      'hex',
    );
    fc.assert(
      fc.property(nearly(hello), (bytes) => {
        const verdict = parseClientHello(Buffer.from(bytes));
        assert.ok(verdict === 'more' || verdict.kind === 'tls' || verdict.kind === 'not-tls');
      }),
      RUNS,
    );
  });
});

describe('certificates and CSRs from peers', () => {
  test('mangled DER is parsed or refused with a certificate or CSR error', async () => {
    const ca = await createTestCa();
    fc.assert(
      fc.property(nearly(ca.issuer.certificate), (der) =>
        onlyTyped(() => parseCertificate(der), ['MESH_ERR_TLS_CERT']),
      ),
      { ...RUNS, numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (der) => onlyTyped(() => parseCsr(der), ['MESH_ERR_TLS_CSR'])),
      { ...RUNS, numRuns: 200 },
    );
  });
});

/** JSON-shaped values, biased towards the shapes of Kubernetes objects. */
const json = fc.jsonValue({ maxDepth: 4 });
const kubernetesLike = (apiVersion: string, kind: string) =>
  fc.record(
    {
      apiVersion: fc.oneof(fc.constant(apiVersion), json),
      kind: fc.oneof(fc.constant(kind), json),
      metadata: fc.oneof(
        fc.record({ name: fc.string({ maxLength: 30 }), namespace: fc.string({ maxLength: 10 }) }),
        json,
      ),
      spec: json,
    },
    { requiredKeys: [] },
  );

describe('resources users write', () => {
  test('a ServiceProfile is parsed or refused with MESH_ERR_PROFILE_INVALID listing its problems', () => {
    fc.assert(
      fc.property(fc.oneof(json, kubernetesLike('nodemesh.io/v1alpha2', 'ServiceProfile')), (obj) => {
        try {
          parseServiceProfile(obj);
        } catch (err) {
          assert.ok(err instanceof ProfileValidationError, String(err));
          assert.ok(err.problems.length > 0, 'a refusal names at least one problem');
        }
      }),
      RUNS,
    );
  });

  test('an HTTPRoute or GRPCRoute is parsed or refused, never thrown', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          json,
          kubernetesLike('gateway.networking.k8s.io/v1', 'HTTPRoute'),
          kubernetesLike('gateway.networking.k8s.io/v1', 'GRPCRoute'),
        ),
        (obj) => {
          const result = parseRoute(obj);
          if (!result.ok) assert.ok(result.error.problems.length > 0);
        },
      ),
      RUNS,
    );
  });

  test('an AdmissionReview body of any shape gets an answer or MESH_ERR_ADMISSION_REVIEW', async () => {
    const config = parseInjectorConfig({
      ...(await loadChartValues([])),
      controlPlaneNamespace: 'nodemesh',
      identityTrustAnchorsPEM: (await createTestCa()).anchor.certificatePem,
    });
    const review = fc.record(
      {
        apiVersion: fc.oneof(fc.constant('admission.k8s.io/v1'), json),
        kind: fc.oneof(fc.constant('AdmissionReview'), json),
        request: fc.oneof(
          json,
          fc.record(
            {
              uid: fc.oneof(fc.constant('u'), json),
              kind: fc.oneof(fc.record({ group: fc.constant(''), kind: fc.constantFrom('Pod', 'Service') }), json),
              namespace: fc.oneof(fc.constant('shop'), json),
              operation: fc.oneof(fc.constantFrom('CREATE', 'UPDATE'), json),
              object: fc.oneof(kubernetesLike('v1', 'Pod'), json),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(review, async (body) => {
        for (const answer of [
          () =>
            reviewAdmission(body, {
              config,
              namespaces: () => Promise.resolve({ labels: {}, annotations: { 'nodemesh.io/inject': 'enabled' } }),
            }),
          () => Promise.resolve(reviewValidation(body)),
        ]) {
          try {
            const out = await answer();
            assert.equal(out.kind, 'AdmissionReview');
          } catch (err) {
            assert.ok(
              err instanceof AdmissionReviewError ||
                (err instanceof MeshError && err.code === 'MESH_ERR_INJECT_ANNOTATION'),
              `unexpected ${String(err)}`,
            );
          }
        }
      }),
      { ...RUNS, numRuns: 300 },
    );
  });
});
