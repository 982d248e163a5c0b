import type { Logger } from 'pino';
import { connectionKeys } from './inject/keys.js';
import { startAdminServer, type AdminHandler, type AdminServer } from './admin/server.js';
import type { AuditSink } from './audit/events.js';
import { auditSinkOptions } from './audit/config.js';
import { createPostgresAuditSink } from './audit/postgres-sink.js';
import { createAuthorizer, type ApprovalGate } from './authz/check.js';
import { compileRuntime, type Runtime } from './runtime.js';
import type { KeywardConfig } from './config/load.js';
import { createConfigStore, type ConfigStore } from './config/store.js';
import { openDatabase, type Database } from './db/open.js';
import { authorizationService } from './envoy/authz-service.js';
import { externalProcessorService } from './envoy/proc-service.js';
import { createProcessorFactory } from './proc/processor.js';
import { startGrpcServer, type GrpcEndpoint } from './envoy/grpc-server.js';
import { createIdentityVerifier, type IdentityVerifierOptions } from './identity/verify.js';
import { createLogger } from './telemetry/logger.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';
import { createTracing } from './telemetry/tracing.js';
import { createApprovalHold } from './approvals/hold.js';
import { approvalsHandler } from './approvals/http.js';
import { createApprovalListener, type ApprovalListener } from './approvals/listener.js';
import { createApprovalNotifier, type ApprovalNotifier } from './approvals/notify.js';
import { createApprovalStore, type ApprovalStore } from './approvals/store.js';

export interface GateOptions {
  configPath: string;
  /** Override listen addresses (tests use port 0). */
  listen?: Partial<{ authz: string; proc: string; admin: string }>;
  /** Use this sink instead of opening the configured database (tests of non-audit behaviour). */
  audit?: AuditSink;
  /** Use this database instead of opening one. */
  database?: Database;
  logDestination?: NodeJS.WritableStream;
  identity?: IdentityVerifierOptions;
  approvals?: ApprovalGate;
  /** Extra admin routes. */
  adminHandlers?: AdminHandler[];
  /** Metrics registry (tests pass their own to read it). */
  metrics?: Metrics;
  env?: NodeJS.ProcessEnv;
}

export interface Gate {
  readonly authzAddress: string;
  readonly procAddress: string;
  readonly adminUrl: string;
  readonly config: ConfigStore<Runtime>;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly database: Database | null;
  /** Present when a database is: approvals need one. */
  readonly approvals: { store: ApprovalStore; listener: ApprovalListener; notifier: ApprovalNotifier } | null;
  /** SIGTERM path: stop accepting, finish in-flight calls, flush the audit queue, close the pool. */
  stop(): Promise<void>;
}

/** Values no log line may carry: every resolved reference, and the connections' keys even when written inline. */
function secretsOf(cfg: KeywardConfig): readonly string[] {
  return [...cfg.secrets, ...cfg.connections.flatMap(connectionKeys)];
}

/** Wires the parts of one keyward replica together. Nothing here decides anything. */
export async function startGate(options: GateOptions): Promise<Gate> {
  let secrets: readonly string[] = [];
  const metrics = options.metrics ?? createMetrics();
  const log = createLogger({ level: 'info', secrets: () => secrets, ...(options.logDestination ? { destination: options.logDestination } : {}) });
  const config = createConfigStore<Runtime>({
    path: options.configPath,
    compile: compileRuntime,
    log,
    ...(options.env ? { env: options.env } : {}),
    onSwap: (rt: Runtime, cfg: KeywardConfig) => {
      contextKeys = [rt.contextKey, ...contextKeys].slice(0, 2);
      secrets = secretsOf(cfg);
      log.level = cfg.logging.level;
    },
    onReload: (ok) => metrics.configReloads.inc({ outcome: ok ? 'ok' : 'failed' }),
  });
  // The previous config's context key stays valid briefly, for calls checked just before a reload.
  let contextKeys: readonly Buffer[] = [config.current().contextKey];
  const tracing = createTracing(config.current().config.telemetry, { secrets: () => secrets });
  const first = config.current().config;
  secrets = secretsOf(first);
  log.level = first.logging.level;

  const database = options.audit ? (options.database ?? null) : (options.database ?? (await openDatabase(first.database, log, options.env ? { env: options.env } : {})));
  const audit =
    options.audit ??
    createPostgresAuditSink({
      ...auditSinkOptions(first.audit, database!.pool, first.database.schema, log),
      onBatch: (rows, seconds, ok) => {
        metrics.auditBatchSize.observe(rows);
        metrics.auditCommitLatency.observe({ outcome: ok ? 'ok' : 'failed' }, seconds);
      },
    });
  if ('queueDepth' in audit && typeof audit.queueDepth === 'function') {
    const depth = audit.queueDepth as () => number;
    metrics.auditQueueDepthFrom(() => depth());
  }

  const verify = createIdentityVerifier({ ...options.identity, onJwksFetch: (ok) => metrics.jwksFetches.inc({ outcome: ok ? 'ok' : 'failed' }) });
  const listen = { ...first.listen, ...options.listen };
  let adminUrl = '';
  const approvals = database
    ? (() => {
        const store = createApprovalStore({ pool: database.pool, schema: first.database.schema, audit: (e) => audit.record(e) });
        const listener = createApprovalListener({ pool: database.pool, channel: store.channel, log });
        const notifier = createApprovalNotifier({ config: () => config.current().config.approvals, log });
        return { store, listener, notifier };
      })()
    : null;
  const hold = approvals
    ? createApprovalHold({ ...approvals, log, metrics, publicUrl: () => config.current().config.approvals.public_url ?? adminUrl })
    : undefined;
  const check = createAuthorizer({
    runtime: () => config.current(),
    verify,
    audit,
    log,
    metrics,
    tracing,
    ...(options.approvals ? { approvals: options.approvals } : hold ? { approvals: hold } : {}),
  });
  const authz: GrpcEndpoint = await startGrpcServer(listen.authz, [authorizationService(check, log)]);
  const processors = createProcessorFactory({ runtime: () => config.current(), contextKeys: () => contextKeys, audit, log, metrics });
  const proc: GrpcEndpoint = await startGrpcServer(listen.proc, [externalProcessorService(processors, log, { metrics, tracing })]);
  const admin: AdminServer = await startAdminServer({
    listen: listen.admin,
    handlers: [...(options.adminHandlers ?? []), ...(first.telemetry.metrics ? [metrics.adminHandler()] : []), ...(approvals ? [approvalsHandler({ ...approvals, verify, runtime: () => config.current() })] : [])],
    ready: async () => {
      const checks: Record<string, string> = { config: config.current().config.version };
      let ok = true;
      if (database) {
        try {
          await database.pool.query('select 1');
          checks.database = 'ok';
        } catch {
          checks.database = 'unavailable';
          ok = false;
        }
      }
      return { ok, checks };
    },
  });
  adminUrl = admin.url;
  config.watch();
  const onHup = () => config.reload('SIGHUP');
  process.on('SIGHUP', onHup);
  log.info({ authz: authz.address, proc: proc.address, admin: admin.url, config_version: first.version }, 'keyward started');

  return {
    authzAddress: authz.address,
    procAddress: proc.address,
    adminUrl: admin.url,
    config,
    log,
    metrics,
    database,
    approvals,
    async stop() {
      process.off('SIGHUP', onHup);
      config.close();
      await Promise.all([authz.shutdown(), proc.shutdown()]);
      await approvals?.listener.close();
      await approvals?.notifier.idle();
      await tracing.shutdown();
      await audit.close();
      await admin.close();
      if (database && !options.database) await database.close();
      log.info({}, 'keyward stopped');
    },
  };
}
