import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '../../metrics/index.ts';
import { parseWeight, profileHostOf, splitViews } from './dashboard-split.ts';

const APEX = 'web.shop.svc.cluster.local:80';

function scrape(v1: number, v2: number, gateway = 0): ReturnType<typeof parsePrometheusText> {
  return parsePrometheusText(
    [
      `request_total{direction="outbound",authority="${APEX}",dst_service="web",dst_pod="web-0"} ${v1}`,
      `request_total{direction="outbound",authority="${APEX}",dst_service="web-v2",dst_pod="web-v2-0"} ${v2}`,
      `request_total{direction="outbound",authority="api.shop.svc.cluster.local:80",dst_service="api"} 50`,
      `request_total{direction="inbound",tls="true"} 999`,
      `outbound_http_route_backend_requests_total{parent_name="api",parent_namespace="shop",parent_port="80",route_name="canary",backend_name="api"} ${gateway * 3}`,
      `outbound_http_route_backend_requests_total{parent_name="api",parent_namespace="shop",parent_port="80",route_name="canary",backend_name="api-next"} ${gateway}`,
    ].join('\n') + '\n',
  );
}

test('measures the share per backend in the window next to the configured weights', () => {
  const views = splitViews(
    [{ before: scrape(100, 10), after: scrape(190, 20) }],
    new Map([
      [
        'web.shop.svc.cluster.local',
        [
          { authority: 'web.shop.svc.cluster.local:80', weight: '900m' },
          { authority: 'web-v2.shop.svc.cluster.local:80', weight: '100m' },
        ],
      ],
    ]),
  );
  const web = views.find((v) => v.apex === APEX);
  assert.equal(web?.apex, APEX);
  assert.equal(web?.source, 'serviceprofile');
  assert.deepEqual(web?.backends, [
    { backend: 'web', requests: 90, share: 0.9, total: 190, configuredWeight: 0.9, configuredShare: 0.9 },
    { backend: 'web-v2', requests: 10, share: 0.1, total: 20, configuredWeight: 0.1, configuredShare: 0.1 },
  ]);
});

test('a single backend without configured weights is not a split; Gateway API backends are', () => {
  const views = splitViews([{ before: undefined, after: scrape(0, 0, 10) }], new Map());
  // web has two backends (even with 0 requests), api one: only web and the gateway parent show.
  assert.deepEqual(
    views.map((v) => [v.apex, v.source]),
    [
      ['api.shop:80', 'gateway'],
      [APEX, 'serviceprofile'],
    ],
  );
  const gateway = views[0];
  assert.deepEqual(
    gateway?.backends.map((b) => [b.backend, b.requests, b.total]),
    [
      ['api', 0, 30],
      ['api-next', 0, 10],
    ],
  );
  assert.equal(gateway?.backends[0]?.share, null, 'no window on a first scrape');
});

test('weights and profile hosts', () => {
  assert.equal(parseWeight('900m'), 0.9);
  assert.equal(parseWeight('90'), 90);
  assert.equal(parseWeight('0.5'), 0.5);
  assert.equal(parseWeight('lots'), undefined);
  assert.equal(profileHostOf('web.shop.svc.cluster.local:80'), 'web.shop.svc.cluster.local');
  assert.equal(profileHostOf('127.0.0.1:8080'), undefined);
});
