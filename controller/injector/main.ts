// `nodemesh injector`: the proxy injector process. Reads its settings and the chart values it
// injects with once at start, serves the mutating webhook (`/`) and the validating webhook
// (`/validate`) over HTTPS, and the admin server (/metrics, /ready, /live), until told to stop.

import { readFile } from 'node:fs/promises';
import { AdminServer } from '../../src/admin/index.ts';
import { EXIT_OK, untilAborted, type CommandContext } from '../../src/cli/index.ts';
import { componentLogger, createLogger } from '../../src/log/index.ts';
import { Counter, createRegistry } from '../../src/metrics/index.ts';
import { VERSION } from '../../src/version.ts';
import { reviewAdmission, type AdmissionOutcome } from './admission.ts';
import { parseInjectorConfig } from './injector-config.ts';
import { parseInjectorServerConfig } from './server-config.ts';
import { reviewValidation, type ValidationOutcome } from './validate.ts';
import { WebhookServer } from './webhook-server.ts';

export async function runInjector(ctx: CommandContext): Promise<number> {
  const server = parseInjectorServerConfig(ctx.env);
  const log = createLogger({ config: server.log, name: 'injector' });
  const config = parseInjectorConfig(await readFile(server.configFile, 'utf8'), { source: server.configFile });
  const registry = createRegistry({ component: 'injector', version: VERSION });
  // Loaded only here: the Kubernetes client is the heaviest thing the injector uses.
  const { loadKubeConfig } = await import('../../src/k8s/kube-config.ts');
  const { kubernetesNamespaceLookup } = await import('./namespace-lookup-kubernetes.ts');
  const kubeConfig = loadKubeConfig(ctx.env, 'nodemesh injector');
  const namespaces = kubernetesNamespaceLookup(kubeConfig, { ttlMs: server.namespaceCacheTtlMs });
  const { kubernetesEventRecorder } = await import('./events-kubernetes.ts');

  const injections = new Counter({
    name: 'injector_pods_total',
    help: 'Pods and Services the mutating webhook answered, by kind, result (injected, annotated, skipped, denied, ignored) and reason',
    labelNames: ['kind', 'result', 'reason'],
    registers: [registry],
  });
  const validations = new Counter({
    name: 'injector_validations_total',
    help: 'Objects the validating webhook checked, by kind and result (valid, invalid, unchecked)',
    labelNames: ['kind', 'result'],
    registers: [registry],
  });
  const injectLog = componentLogger(log, 'inject');
  const recordEvent = kubernetesEventRecorder(kubeConfig, {
    log: injectLog,
    failures: new Counter({
      name: 'injector_event_failures_total',
      help: 'Injected/InjectionSkipped Events the API server did not accept, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  });
  const onInjection = (o: AdmissionOutcome): void => {
    injections.inc({ kind: o.kind, result: o.result, reason: o.reason ?? '' });
    recordEvent(o);
    const fields = { kind: o.kind, namespace: o.namespace, name: o.name, result: o.result, reason: o.reason };
    if (o.result === 'denied') injectLog.warn({ ...fields, message: o.message }, 'refused a pod with a bad annotation');
    else if (o.result !== 'ignored')
      injectLog.info({ ...fields, warnings: o.warnings }, `${o.kind.toLowerCase()} ${o.result}`);
  };
  const validateLog = componentLogger(log, 'validate');
  const onValidation = (o: ValidationOutcome): void => {
    validations.inc({ kind: o.kind, result: o.result });
    if (o.result === 'invalid') {
      validateLog.info({ kind: o.kind, namespace: o.namespace, name: o.name, message: o.message }, 'refused');
    }
  };

  const webhooks = new WebhookServer({
    address: server.listenAddr,
    tls: { certFile: server.tlsCertFile, keyFile: server.tlsKeyFile },
    routes: {
      '/': { name: 'inject', handle: (body) => reviewAdmission(body, { config, namespaces, onOutcome: onInjection }) },
      '/validate': { name: 'validate', handle: (body) => Promise.resolve(reviewValidation(body, onValidation)) },
    },
    badRequestCodes: ['MESH_ERR_ADMISSION_REVIEW'],
    registry,
    log: componentLogger(log, 'webhook'),
    reloadIntervalMs: server.certReloadIntervalMs,
  });
  let serving = false;
  const admin = new AdminServer({
    address: server.adminListenAddr,
    registry,
    readiness: () => (serving ? { ready: true } : { ready: false, reason: 'the webhook server is not listening yet' }),
    log: componentLogger(log, 'admin'),
  });
  try {
    const adminAddr = await admin.start();
    const addr = await webhooks.start();
    serving = true;
    log.info(
      {
        webhooks: `${addr.host}:${addr.port}`,
        admin: `${adminAddr.host}:${adminAddr.port}`,
        controlPlaneNamespace: config.controlPlaneNamespace,
        proxyImage: `${config.image.name}:${config.image.version}`,
      },
      'proxy injector started',
    );
    await untilAborted(ctx.signal);
    log.info('proxy injector stopping');
  } finally {
    serving = false;
    await webhooks.close();
    await admin.close();
  }
  return EXIT_OK;
}
