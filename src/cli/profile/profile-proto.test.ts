import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseServiceProfile } from '../../profiles/index.ts';
import { catchError } from '../../testing/index.ts';
import { parseProtoRpcs, protoToProfile } from './profile-proto.ts';
import { ProfileSourceError } from './profile-source-error.ts';

const RATINGS = readFileSync(new URL('../../../test/fixtures/proto/ratings.proto', import.meta.url), 'utf8');
const NAME = { service: 'ratings', namespace: 'shop', clusterDomain: 'cluster.local' };

describe('parseProtoRpcs', () => {
  test('finds every rpc of every service with its gRPC path, skipping comments, messages and options', () => {
    assert.deepEqual(
      parseProtoRpcs(RATINGS, 'ratings.proto').map((r) => [r.path, r.retryable, r.line]),
      [
        ['/shop.ratings.v1.Ratings/GetRating', true, 16],
        ['/shop.ratings.v1.Ratings/PutRating', true, 20],
        ['/shop.ratings.v1.Ratings/AddRating', false, 23],
        ['/shop.ratings.v1.Ratings/WatchRatings', false, 24],
        ['/shop.ratings.v1.Health/Check', false, 38],
      ],
    );
  });

  test('leaves the package out of the path when there is none', () => {
    const rpcs = parseProtoRpcs('syntax = "proto3";\nservice S { rpc M(A) returns (B); }\n', 'x.proto');
    assert.deepEqual(
      rpcs.map((r) => r.path),
      ['/S/M'],
    );
  });

  test('refuses files without rpcs, with unbalanced braces, or with an rpc it cannot read', () => {
    const cases: readonly (readonly [string, RegExp, number | undefined])[] = [
      ['syntax = "proto3";\nmessage A { string a = 1; }\n', /defines no service with an rpc/, undefined],
      ['service S {\n  rpc M(A) returns (B);\n', /this "\{" is never closed/, 1],
      ['message A {}\n}\n', /a "\}" closes nothing/, 2],
      ['service S {\n  rpc M(A) gives (B);\n}\n', /rpc M does not parse/, 2],
    ];
    for (const [text, problem, line] of cases) {
      const err = catchError(() => parseProtoRpcs(text, 'bad.proto'), ProfileSourceError);
      assert.match(err.problems[0]?.problem ?? '', problem, text);
      assert.equal(err.problems[0]?.line, line, text);
      assert.match(err.message, /^bad\.proto: cannot generate a ServiceProfile/);
    }
  });
});

describe('protoToProfile', () => {
  test('makes a valid profile with one POST route per rpc', () => {
    const profile = parseServiceProfile(protoToProfile(RATINGS, { file: 'ratings.proto', name: NAME }));
    assert.equal(profile.metadata.name, 'ratings.shop.svc.cluster.local');
    const [first, , third] = profile.spec.routes ?? [];
    assert.deepEqual(first, {
      name: 'POST /shop.ratings.v1.Ratings/GetRating',
      condition: { method: 'POST', pathRegex: '/shop\\.ratings\\.v1\\.Ratings/GetRating' },
      isRetryable: true,
    });
    assert.equal(third?.isRetryable, undefined);
    assert.equal(profile.spec.routes?.length, 5);
  });
});
