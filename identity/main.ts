// `nodemesh identity` (serve): the identity service process. Reads its settings, loads the
// issuer, starts the Certify gRPC server and the admin server, and runs until told to stop.

import { AdminServer, type Readiness } from '../src/admin/index.ts';
import { EXIT_OK, untilAborted, type CommandContext } from '../src/cli/index.ts';
import { componentLogger, createLogger } from '../src/log/index.ts';
import { createRegistry } from '../src/metrics/index.ts';
import { identityServiceName } from '../src/tls/index.ts';
import { VERSION } from '../src/version.ts';
import { CertifyService } from './certify-service.ts';
import { parseIdentityConfig } from './config.ts';
import { IdentityGrpcServer } from './grpc-server.ts';
import { IssuerSource } from './issuer-source.ts';
import { ServingIdentity } from './serving-identity.ts';
import { createTokenValidator } from './token-validators.ts';

export async function runIdentityService(ctx: CommandContext): Promise<number> {
  const config = parseIdentityConfig(ctx.env);
  const log = createLogger({ config: config.log, name: 'identity' });
  const registry = createRegistry({ component: 'identity', version: VERSION });
  const domain = { trustDomain: config.trustDomain, controlNamespace: config.controlNamespace };

  const serving = new ServingIdentity({
    name: identityServiceName(domain),
    log: componentLogger(log, 'serving-identity'),
  });
  const issuers = new IssuerSource({
    issuerDir: config.issuerDir,
    trustAnchorsFile: config.trustAnchorsFile,
    pollIntervalMs: config.issuerPollIntervalMs,
    issuerOptions: { lifetimeMs: config.issuanceLifetimeMs, clockSkewMs: config.clockSkewAllowanceMs },
    log: componentLogger(log, 'issuer'),
    registry,
    onChange: () => serving.refresh(),
  });
  await serving.init(() => {
    const issuer = issuers.current();
    const trust = issuers.trustBundle();
    return issuer === undefined || trust === undefined ? undefined : { issuer, trust };
  });
  await issuers.start();

  const validator = await createTokenValidator(config, { env: ctx.env, log: componentLogger(log, 'token-validator') });
  const certify = new CertifyService({
    issuer: () => issuers.current(),
    validator,
    domain,
    log: componentLogger(log, 'certify'),
    registry,
  });
  const grpc = new IdentityGrpcServer({ address: config.listenAddr, certify, tls: serving, log });
  const readiness = (): Readiness => {
    const issuer = issuers.current();
    if (issuer === undefined) return { ready: false, reason: `no valid issuer loaded from ${config.issuerDir}` };
    if (serving.current === undefined) return { ready: false, reason: 'the serving certificate is not issued yet' };
    return { ready: true };
  };
  const admin = new AdminServer({
    address: config.adminListenAddr,
    registry,
    readiness,
    log: componentLogger(log, 'admin'),
  });

  try {
    const port = await grpc.start();
    const adminAddr = await admin.start();
    log.info(
      {
        grpc: `${config.listenAddr.host}:${port}`,
        admin: `${adminAddr.host}:${adminAddr.port}`,
        identity: serving.name,
        validator: config.tokenValidator,
      },
      'identity service started',
    );
    await untilAborted(ctx.signal);
    log.info('identity service stopping');
  } finally {
    await grpc.close();
    await admin.close();
    issuers.close();
    serving.close();
  }
  return EXIT_OK;
}
