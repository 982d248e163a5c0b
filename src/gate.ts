import type { Logger } from 'pino';
import { connectionKeys } from './inject/keys.js';
import { startAdminServer, type AdminHandler, type AdminServer } from './admin/server.js';
import type { AuditSink } from './audit/events.js';
import { auditSinkOptions } from './audit/sink-options.js';
import { createLanedAuditSink } from './audit/lanes.js';
import { createAuthorizer, type ApprovalHold } from './authz/check.js';
import { compileRuntime, type Runtime } from './config/compile.js';
import type { KeywardConfig } from './config/load.js';
import { servingIssues } from './config/serving.js';
import { createConfigStore, type ConfigStore } from './config/store.js';
import { openDatabase, type Database } from './db/open.js';
import { authorizationService } from './envoy/authz-service.js';
import { externalProcessorService } from './envoy/proc-service.js';
import { createProcessorFactory } from './proc/processor.js';
import { createMaskPool, type MaskPool } from './mask-pool/pool.js';
import { routeGrpcLogs, startGrpcServer, type GrpcEndpoint } from './envoy/grpc-server.js';
import { createGrpcTransport, type GrpcTransport } from './transport/listeners.js';
import { createStreamLimits } from './envoy/stream-limits.js';
import { createIdentityVerifier, type IdentityVerifierOptions } from './identity/verify.js';
import { applyProcessSettings } from './runtime/heap.js';
import { createLogger } from './telemetry/logger.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';
import { createTracing } from './telemetry/tracing.js';
import { StartFailure } from './start-failure.js';
import { createApprovalHold } from './approvals/hold.js';
import { approvalsHandler } from './approvals/http.js';
import { slackInteractionsHandler } from './approvals/slack-http.js';
import { createSessionStore } from './approvals/sessions.js';
import { createSignIn } from './approvals/sign-in.js';
import type { CurrentObjectDeps } from './approvals/current-object.js';
import { createApprovalListener, type ApprovalListener } from './approvals/listener.js';
import { createApprovalNotifier, type ApprovalNotifier } from './approvals/notify.js';
import { createApprovalStore, type ApprovalStore } from './approvals/store.js';
import { createBudgetGauges, createBudgetGuard, openCounterStore } from './budgets/index.js';
import type { CounterStore } from './budgets/store.js';
import { systemClock, type WallClock } from './clock.js';
import { storeChangeIssues } from './budgets/store-change.js';
import type { BudgetStoreConfig } from './config/sections/budgets.js';

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
  approvals?: ApprovalHold;
  /** Extra admin routes. */
  adminHandlers?: AdminHandler[];
  /** How the approvals page reads an update's current object from Datadog (tests: the fake Datadog). */
  currentObject?: CurrentObjectDeps;
  /** Metrics registry (tests pass their own to read it). */
  metrics?: Metrics;
  /** Use this counter store instead of the configured one (tests). */
  counters?: CounterStore;
  env?: NodeJS.ProcessEnv;
  /** Use this masking pool instead of one built from `mask_pool` (tests substitute its worker). */
  maskPool?: MaskPool;
  /** Wall clock for token times, approval expiry, hold deadlines and audit times (tests move it). */
  clock?: WallClock;
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

const UNDO_STEP_MS = 2_000;

/** Wires the parts of one keyward replica together. Nothing here decides anything. */
export async function startGate(options: GateOptions): Promise<Gate> {
  let secrets: readonly string[] = [];
  const metrics = options.metrics ?? createMetrics();
  const log = createLogger({ level: 'info', secrets: () => secrets, ...(options.logDestination ? { destination: options.logDestination } : {}) });
  routeGrpcLogs((line) => log.debug({ grpc: line }, 'grpc-js'));
  let runningStore: BudgetStoreConfig | undefined;
  const config = createConfigStore<Runtime>({
    path: options.configPath,
    compile: compileRuntime,
    // budget_store is read once (openCounterStore below): a reload that changes it is refused
    check: (cfg) => [...servingIssues(cfg), ...(runningStore ? storeChangeIssues(runningStore, cfg.budget_store) : [])],
    log,
    ...(options.env ? { env: options.env } : {}),
    onSwap: (rt: Runtime, cfg: KeywardConfig) => {
      contextKeys = [rt.contextKey, ...contextKeys].slice(0, 2);
      secrets = secretsOf(cfg);
      log.level = cfg.logging.level;
      applyProcessSettings(cfg.process);
      transport?.apply(cfg);
    },
    onReload: (ok) => metrics.configReloads.inc({ outcome: ok ? 'ok' : 'failed' }),
  });
  let transport: GrpcTransport | undefined;
  // The previous config's context key stays valid briefly, for calls checked just before a reload.
  let contextKeys: readonly Buffer[] = [config.current().contextKey];
  const tracing = createTracing(config.current().config.telemetry, { secrets: () => secrets });
  const first = config.current().config;
  secrets = secretsOf(first);
  log.level = first.logging.level;
  applyProcessSettings(first.process);
  // Refuses a plaintext port beyond loopback before anything else opens.
  const listen = { ...first.listen, ...options.listen };
  transport = createGrpcTransport(first, listen, log, () => config.reload('certificate-change'));

  // Sized at start: a reload changes what is masked, not how many threads mask it. The threads load
  // the masking code while the rest starts; the gate is not ready before they have (a cold first
  // body could outlast Envoy's message timeout).
  const maskPool = options.maskPool ?? createMaskPool(first.mask_pool);
  const maskPoolWarm = maskPool.warm();
  // A start that fails before the threads are warm closes the pool under them: that rejection is expected.
  maskPoolWarm.catch(() => undefined);
  // A start that fails part way stops what it started, then says what failed in one line (StartFailure).
  const undo: (() => Promise<unknown>)[] = [() => tracing.shutdown(), () => maskPool.close()];
  const step = async <T>(what: string, start: () => Promise<T>): Promise<T> => {
    try {
      return await start();
    } catch (e) {
      // Best effort and bounded: a part that will not stop (a pool still lending a client) must not
      // turn a start failure into a hang; the caller exits right after.
      for (const u of undo.reverse()) await Promise.race([u().catch(() => undefined), new Promise((r) => setTimeout(r, UNDO_STEP_MS).unref())]);
      throw new StartFailure(what, e);
    }
  };
  const database = options.audit ? (options.database ?? null) : (options.database ?? (await step('database', () => openDatabase(first.database, log, options.env ? { env: options.env } : {}))));
  if (database && !options.database) undo.push(() => database.close());
  const audit =
    options.audit ??
    createLanedAuditSink({
      ...auditSinkOptions(first.audit, database!.pool, first.database.schema, log, { onExportDrop: (n) => metrics.auditExportDropped.inc(n), serviceName: first.telemetry.service_name }),
      onBatch: (rows, seconds, ok) => {
        metrics.auditBatchSize.observe(rows);
        metrics.auditCommitLatency.observe({ outcome: ok ? 'ok' : 'failed' }, seconds);
      },
    });
  undo.push(() => audit.close());
  if ('queueDepth' in audit && typeof audit.queueDepth === 'function') {
    const depth = audit.queueDepth as () => number;
    metrics.auditQueueDepthFrom(() => depth());
  }

  const clock = options.clock ?? systemClock;
  const verify = createIdentityVerifier({ now: () => new Date(clock()), ...options.identity, onJwksFetch: (ok) => metrics.jwksFetches.inc({ outcome: ok ? 'ok' : 'failed' }) });
  let adminUrl = '';
  const approvals = database
    ? (() => {
        const store = createApprovalStore({ pool: database.pool, schema: first.database.schema, audit: (e) => audit.record(e), now: () => new Date(clock()) });
        const listener = createApprovalListener({ pool: database.pool, channel: store.channel, log });
        const notifier = createApprovalNotifier({ config: () => config.current().config.approvals, log });
        return { store, listener, notifier };
      })()
    : null;
  if (approvals) undo.push(() => approvals.listener.close());
  // Aborted first thing on stop: held calls are answered (retryable) before anything closes under them.
  const stopping = new AbortController();
  const hold = approvals
    ? createApprovalHold({ ...approvals, log, metrics, clock, stopping: stopping.signal, publicUrl: () => config.current().config.approvals.public_url ?? adminUrl })
    : undefined;
  const counters = options.counters ?? openCounterStore(first.budget_store, log);
  runningStore = first.budget_store;
  const budgets = createBudgetGuard({ store: counters, log, gauges: createBudgetGauges(metrics.registry) });
  const check = createAuthorizer({
    budgets,
    clock,
    runtime: () => config.current(),
    verify,
    audit,
    log,
    metrics,
    tracing,
    ...(options.approvals ? { approvals: options.approvals } : hold ? { approvals: hold } : {}),
  });
  const authz: GrpcEndpoint = await step(`listen.authz ${listen.authz}`, () => startGrpcServer(listen.authz, [authorizationService(check, log)], transport.listen));
  undo.push(() => authz.shutdown(0));
  const processors = createProcessorFactory({ runtime: () => config.current(), contextKeys: () => contextKeys, audit, log, metrics, budgets, maskPool });
  const streams = { limits: createStreamLimits(() => config.current().config.listen.streams), idleMs: () => config.current().config.listen.streams.idle_timeout };
  const proc: GrpcEndpoint = await step(`listen.proc ${listen.proc}`, () => startGrpcServer(listen.proc, [externalProcessorService(processors, log, { metrics, tracing }, streams)], transport.listen));
  undo.push(() => proc.shutdown(0));
  const publicUrl = () => config.current().config.approvals.public_url ?? adminUrl;
  const approvalRoutes = approvals
    ? [
        approvalsHandler({
          ...approvals,
          verify,
          runtime: () => config.current(),
          signIn: createSignIn({ sessions: createSessionStore({ pool: database!.pool, schema: first.database.schema }), verify, runtime: () => config.current(), publicUrl }),
          ...(options.currentObject ? { currentObject: options.currentObject } : {}),
        }),
        slackInteractionsHandler({ store: approvals.store, runtime: () => config.current(), log, publicUrl }),
      ]
    : [];
  const admin: AdminServer = await step(`listen.admin ${listen.admin}`, () => startAdminServer({
    listen: listen.admin,
    handlers: [...(options.adminHandlers ?? []), ...(first.telemetry.metrics ? [metrics.adminHandler()] : []), ...approvalRoutes],
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
      // Budgets only gate readiness when a budget is configured and a down store would refuse calls.
      if (counters.kind === 'redis') {
        const up = await counters.ping();
        checks.budgets = up ? 'ok' : 'unavailable';
        const cfg = config.current().config;
        if (!up && cfg.budgets.length > 0 && !cfg.budget_store.fail_open) ok = false;
      } else checks.budgets = 'memory';
      return { ok, checks };
    },
  }));
  adminUrl = admin.url;
  await maskPoolWarm;
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
      transport?.close();
      // Stop accepting first, then release the held calls; the drain waits for their answers.
      const drained = Promise.all([authz.shutdown(), proc.shutdown()]);
      stopping.abort();
      await drained;
      if (!options.maskPool) await maskPool.close();
      await approvals?.listener.close();
      await approvals?.notifier.idle();
      await tracing.shutdown();
      await audit.close();
      if (!options.counters) await counters.close();
      await admin.close();
      if (database && !options.database) await database.close();
      log.info({}, 'keyward stopped');
    },
  };
}
