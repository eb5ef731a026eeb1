import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DestinationProfile } from '../../src/api/index.ts';
import { endpointsOf, type Endpoint } from './endpoint.ts';
import { StaticResolver } from './resolver-static.ts';

const endpoint = (host: string): Endpoint => ({ host, port: 8080, weight: 1, protocolHint: undefined, labels: {} });

describe('StaticResolver', () => {
  test('serves the configured endpoints and pushes changes to open handles', () => {
    const resolver = new StaticResolver({ endpoints: { 'web:80': [endpoint('10.1.0.2'), endpoint('10.1.0.1')] } });
    const h = resolver.resolve({ authority: 'web:80' });
    assert.deepEqual(
      endpointsOf(h.current()).map((e) => e.host),
      ['10.1.0.1', '10.1.0.2'],
    );
    const seen: string[] = [];
    h.onChange((s) => seen.push(s.state.kind));
    resolver.setEndpoints('web:80', { noEndpoints: { exists: true } });
    assert.deepEqual(seen, ['no-endpoints']);
    h.release();
    resolver.setEndpoints('web:80', [endpoint('10.1.0.3')]);
    assert.deepEqual(seen, ['no-endpoints'], 'no changes after release');
  });

  test('answers unknown authorities with exists=false and no profile', () => {
    const resolver = new StaticResolver();
    assert.deepEqual(resolver.resolve({ authority: 'nope:80' }).current().state, {
      kind: 'no-endpoints',
      exists: false,
    });
    const p = resolver.resolveProfile({ authority: 'nope:80' });
    assert.equal(p.current().kind, 'none');
    assert.equal(p.profile(), undefined);
  });

  test('serves profiles with their compiled form', () => {
    const profile = DestinationProfile.fromPartial({
      fullyQualifiedName: 'web.shop.svc.cluster.local',
      opaqueProtocol: true,
    });
    const resolver = new StaticResolver({ profiles: { 'web:80': profile } });
    const p = resolver.resolveProfile({ authority: 'web:80' });
    assert.equal(p.profile(), profile);
    assert.equal(p.compiled()?.opaqueProtocol, true);
    resolver.setProfile('web:80', undefined);
    assert.equal(p.current().kind, 'none');
  });
});
