// Scenario "identity": Certify throughput and latency of one identity service process pinned to
// one core, under N concurrent clients (each its own TLS connection, key, CSR and token), as the
// identity issue asks (goal: 2,000 certificates per second or more with 50 clients).
//
// The server runs as the real `nodemesh identity` process with local token validation; the
// clients run in this process (pinned to the other core when there is one). Every call is a full
// Certify: token verified, CSR verified, leaf signed. Nothing is cached between calls.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GrpcCertifyClient } from '../../proxy/identity-client/index.ts';
import { createCaFiles } from '../../src/cli/identity/ca-files.ts';
import { freePort } from '../../src/net/index.ts';
import { createCsr, generateP256KeyPair, identityName, TrustBundle } from '../../src/tls/index.ts';
import { generateLocalSigningKey, mintLocalToken } from '../../src/tokens/index.ts';
import { cpuSeconds, memoryMb } from '../lib/proc.ts';
import { round, summarize, type LatencySummary } from '../lib/stats.ts';

const BIN = fileURLToPath(new URL('../../bin/nodemesh.ts', import.meta.url));
const DOMAIN = { trustDomain: 'cluster.local', controlNamespace: 'nodemesh' };

export interface IdentityBenchOptions {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Pin the server to CPU 0 and this process to CPU 1 with taskset (when present and 2+ cores). */
  readonly pin: boolean;
}

export interface IdentityBenchResult {
  readonly scenario: 'identity';
  readonly concurrency: number;
  readonly durationS: number;
  readonly pinned: boolean;
  readonly issued: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly certificatesPerSecond: number;
  readonly latency: LatencySummary;
  readonly serverCpuSeconds: number;
  readonly serverCpuMsPerCertificate: number;
  /** Share of one core the server used while measured (1 = a whole core). */
  readonly serverCoreUtilisation: number;
  readonly serverPeakRssMb: number;
}

export async function runIdentityBench(opts: IdentityBenchOptions): Promise<IdentityBenchResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-identity-'));
  const canPin = opts.pin && hasTaskset();
  const clients: GrpcCertifyClient[] = [];
  let server: ReturnType<typeof spawn> | undefined;
  try {
    const ca = await createCaFiles({
      dir: path.join(dir, 'ca'),
      domain: DOMAIN,
      anchorLifetimeMs: 86_400_000,
      issuerLifetimeMs: 86_400_000,
      force: true,
      command: 'bench',
    });
    const signing = await generateLocalSigningKey();
    await writeFile(path.join(dir, 'token.pub'), signing.publicKeyPem);
    // Free ports are picked, then bound by the child: another process may take one in between (tests
    // run in parallel), so a child that exits before it is ready is started again on new ports.
    let grpcPort = 0;
    for (let attempt = 1; ; attempt++) {
      const [g, adminPort] = [await freePort(), await freePort()];
      grpcPort = g;
      const env = {
        PATH: process.env.PATH ?? '',
        NODEMESH_IDENTITY_LISTEN_ADDR: `127.0.0.1:${grpcPort}`,
        NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR: `127.0.0.1:${adminPort}`,
        NODEMESH_IDENTITY_ISSUER_DIR: ca.files.issuerDir,
        NODEMESH_IDENTITY_TRUST_ANCHORS_FILE: ca.files.anchor,
        NODEMESH_IDENTITY_TOKEN_VALIDATOR: 'local',
        NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE: path.join(dir, 'token.pub'),
        NODEMESH_LOG_LEVEL: 'warn',
        // Profiling: NODEMESH_BENCH_SERVER_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench -- identity
        ...(process.env.NODEMESH_BENCH_SERVER_NODE_OPTIONS === undefined
          ? {}
          : { NODE_OPTIONS: process.env.NODEMESH_BENCH_SERVER_NODE_OPTIONS }),
      };
      const [cmd, args] = canPin
        ? ['taskset', ['-c', '0', process.execPath, BIN, 'identity']]
        : [process.execPath, [BIN, 'identity']];
      const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
      server = child;
      if (
        await waitReady(
          `http://127.0.0.1:${adminPort}/ready`,
          () => child.exitCode === null && child.signalCode === null,
        )
      )
        break;
      if (attempt >= 3) throw new Error('the identity service exited before it was ready, 3 times (its log is above)');
    }
    if (canPin) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
    const serverPid = server.pid ?? 0;

    const trust = TrustBundle.fromPem(ca.anchor.pem);
    const workers = await Promise.all(
      Array.from({ length: opts.concurrency }, async (_, i) => {
        const sa = `bench-${i}`;
        const identity = identityName({ serviceAccount: sa, namespace: 'bench', ...DOMAIN });
        const { privateKey } = await generateP256KeyPair();
        const client = new GrpcCertifyClient({
          address: { host: '127.0.0.1', port: grpcPort },
          serverName: identityName({ serviceAccount: 'nodemesh-identity', namespace: 'nodemesh', ...DOMAIN }),
          trust,
          timeoutMs: 30_000,
        });
        clients.push(client);
        const request = {
          identity,
          token: Buffer.from(mintLocalToken({ key: signing.privateKeyPem, namespace: 'bench', serviceAccount: sa })),
          csr: createCsr({ identity, privateKey }),
        };
        await client.certify(request); // connect before the clock starts
        return { client, request };
      }),
    );

    const latencies: number[] = [];
    const errorSamples: string[] = [];
    let errors = 0;
    let phase: 'warmup' | 'measure' | 'done' = 'warmup';
    const loops = workers.map(async ({ client, request }) => {
      while (phase !== 'done') {
        const started = performance.now();
        try {
          await client.certify(request);
          if (phase === 'measure') latencies.push(performance.now() - started);
        } catch (err) {
          if (phase === 'measure') {
            errors++;
            if (errorSamples.length < 5) errorSamples.push(String(err));
          }
        }
      }
    });
    await sleep(opts.warmupMs);
    phase = 'measure';
    const cpuStart = cpuSeconds(serverPid);
    const t0 = performance.now();
    await sleep(opts.durationMs);
    const elapsedS = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(serverPid) - cpuStart;
    const issued = latencies.length;
    phase = 'done';
    await Promise.all(loops);
    return {
      scenario: 'identity',
      concurrency: opts.concurrency,
      durationS: round(elapsedS),
      pinned: canPin,
      issued,
      errors,
      errorSamples,
      certificatesPerSecond: round(issued / elapsedS, 1),
      latency: summarize(latencies),
      serverCpuSeconds: round(cpu),
      serverCpuMsPerCertificate: round((cpu * 1000) / Math.max(1, issued)),
      serverCoreUtilisation: round(cpu / elapsedS),
      serverPeakRssMb: round(memoryMb(serverPid).peakRssMb, 1),
    };
  } finally {
    for (const c of clients) c.close();
    if (server !== undefined && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server?.once('exit', resolve));
    }
    await rm(dir, { recursive: true, force: true });
  }
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return availableParallelism() >= 2;
  } catch {
    return false;
  }
}

/** True once `url` answers 200; false as soon as `alive()` says the process is gone. */
async function waitReady(url: string, alive: () => boolean): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    if (!alive()) return false;
    try {
      if ((await fetch(url)).status === 200) return true;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`the identity service did not become ready at ${url} within 60 s`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The Markdown rows of a result. */
export function identityMarkdown(r: IdentityBenchResult): string {
  return [
    '| clients | pinned to 1 core | certificates/s | p50 ms | p99 ms | p99.9 ms | server CPU ms/cert | server core use | server peak RSS MB | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${r.concurrency} | ${r.pinned ? 'yes' : 'no'} | ${r.certificatesPerSecond} | ${r.latency.p50Ms} | ${r.latency.p99Ms} | ${r.latency.p999Ms} | ${r.serverCpuMsPerCertificate} | ${r.serverCoreUtilisation} | ${r.serverPeakRssMb} | ${r.errors} |`,
  ].join('\n');
}
