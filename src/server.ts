import type { AddressInfo } from 'node:net';
import { answerReadiness, isWorker, runPrimary } from './http/processes';
import { config } from './config';
import {
  closeDatabase,
  databaseKind,
  openDatabase,
  requireSynchronousStandby,
  startChangeLogPruning,
  startReplicaChecks,
} from './db';
import { DataFolderInUseError } from './db/data-folder-lock';
import { createHttpServer } from './http/node-server';
import { withHttpLayers } from './http/layers';
import { listenForManagement, type Management } from './http/management-listener';
import { memoryInUse } from './http/admission';
import { metricsReader } from './http/metrics-endpoint';
import { prepareDatabase } from './db/prepare';
import { isReady, markStopping } from './http/health';
import { logger } from './ops/logger';
import { hub } from './realtime';
import { serveWebSocket } from './realtime/websocket';
import { refusalOnArrival, responseCache, yoga } from './graphql/yoga';
import { warmUp } from './graphql/warm-up';

// Under load, the objects of answers in flight outlive a young-generation collection and are
// promoted; left to its heuristics, V8 then lets the old generation grow to 4 times what survives
// before a full collection. Growing it by at most 2.5 times costs a little CPU and keeps the peak
// much lower (docs/performance.md):
// `npm start` and `npm run start:prod` give node --heap-growing-percent=150 on its command line
// (workers of WEB_CONCURRENCY inherit it), and --expose-gc (MemoryInUse, src/http/admission.ts). It is no longer set from here: Node warns that V8
// flags changed after start may crash the process.
if (process.env.HEAP_GROWING_PERCENT) {
  logger.warn(
    'HEAP_GROWING_PERCENT is no longer read: give node --heap-growing-percent=N on its command line (npm start does, with 150)',
  );
}

/** One line when anonymous callers may write: the development default (admin) keeps the quick start open. */
function warnIfOpen() {
  const role = config.access.anonymousRole;
  if (role !== 'admin' && role !== 'editor') return;
  const why = process.env.ANONYMOUS_ROLE ? `ANONYMOUS_ROLE=${role}` : 'the default outside NODE_ENV=production';
  console.warn(
    `Warning: anonymous callers are ${role} (${why}): anyone who reaches this server may change${role === 'admin' ? ' and delete' : ''} data; set ANONYMOUS_ROLE=viewer or none, or NODE_ENV=production, before exposing it`,
  );
}

function readyLine(port: number, started: number, processes: number, warmed = ''): string {
  const where = databaseKind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL';
  const ms = Math.round(performance.now() - started);
  const how = processes > 1 ? `, ${processes} processes` : '';
  return `GraphQL server on http://localhost:${port}${yoga.graphqlEndpoint} (${where}${how}${warmed}, ready in ${ms} ms)`;
}

// At warn when LOG_LEVEL is warn or above: test/support/server-process.ts waits for this line.
function sayReady(line: string): void {
  if (logger.isLevelEnabled('info')) logger.info(line);
  else logger.warn(line);
}

async function prepare(): Promise<void> {
  openDatabase();
  // Before anything is written: an operator who asked for the guarantee gets no server without it.
  await requireSynchronousStandby();
  if (config.migrateOnStart) {
    const { applied, seeded } = await prepareDatabase({ seed: true });
    if (applied.length > 0) logger.info(`Applied migrations: ${applied.join(', ')}`);
    if (seeded) logger.info('Loaded the sample heroes and teams into the empty database');
  }
}

/**
 * METRICS_PORT: the metrics and the probes on a listener of their own
 * (src/http/management-listener.ts); without it in production and without METRICS_TOKEN, the
 * metrics are served nowhere: says so once.
 */
async function serveManagement(management: Management): Promise<void> {
  const { metrics } = config;
  if (metrics.port === undefined) {
    if (metrics.enabled && !metrics.onMainPort) {
      logger.warn(
        'Metrics are not served: in production the public port answers them only with METRICS_TOKEN; set METRICS_PORT for a listener of their own (on 127.0.0.1 unless METRICS_HOST says otherwise), or METRICS=false',
      );
    }
    return;
  }
  try {
    const { url } = await listenForManagement(metrics, management, config.production);
    logger.info(`Metrics on ${url}, probes on ${new URL('/live', url).href}, /ready and /health`);
  } catch (error) {
    logger.fatal(`Cannot listen for metrics on ${metrics.host}:${metrics.port}: ${(error as Error).message}`);
    process.exit(1);
  }
}

/** WEB_CONCURRENCY > 1: migrate once here, then fork the workers that serve (src/http/processes.ts). */
async function primary(started: number) {
  if (databaseKind === 'pglite') {
    logger.fatal(
      `WEB_CONCURRENCY=${config.webConcurrency} needs PostgreSQL (DATABASE_URL): the embedded PGlite database ` +
        `in ${config.dataDir} belongs to one process. Unset WEB_CONCURRENCY, or set DATABASE_URL.`,
    );
    process.exit(1);
  }
  warnIfOpen();
  await prepare();
  await closeDatabase();
  runPrimary({
    workers: config.webConcurrency,
    stopWaitMs: config.shutdownGraceMs + 5_000,
    // Migrated above: the workers do not each wait on the migration lock.
    workerEnv: { MIGRATE_ON_START: 'false' },
    onListening: (port) => sayReady(readyLine(port, started, config.webConcurrency)),
    serveManagement: (management) => void serveManagement(management),
  });
}

async function main() {
  const started = performance.now();
  if (config.webConcurrency > 1 && !isWorker) return primary(started);
  if (!isWorker) warnIfOpen();
  await prepare();
  // Every serving process prunes the change log (one at a time: src/db/change-log.ts); not the
  // primary of WEB_CONCURRENCY, which closes its database once it has migrated.
  startChangeLogPruning(config.realtime.changeLogRetentionMs);
  // Read replicas (DATABASE_READ_URL) found fit by the first check are read from as the server starts.
  await startReplicaChecks();
  // RESPONSE_CACHE: follows the change log before the port opens, so that it serves from the first request.
  await responseCache?.start();
  // Before the port opens, so that a first burst meets a warm process (src/graphql/warm-up.ts).
  let warmed = '';
  if (config.warmUpRequests > 0) {
    const outcome = await warmUp(yoga, config.warmUpRequests, databaseKind === 'pglite' ? 4 : config.poolMax);
    warmed = `, warmed up in ${outcome.ms} ms`;
    if (outcome.stoppedBy !== undefined) {
      logger.info(
        `Warm-up ended after ${outcome.answered} reads: ${outcome.stoppedBy} (anonymous callers may not read)`,
      );
    }
  }

  const memory = config.http.maxMemoryBytes > 0 ? memoryInUse() : undefined;
  const server = createHttpServer(
    withHttpLayers(yoga, config),
    config.http,
    memory,
    config.metrics.onMainPort ? [config.metrics.path] : [],
    refusalOnArrival,
  );
  // A worker's metrics and probes are served by its primary, which gathers every worker's.
  if (isWorker) {
    answerReadiness(isReady);
    // Whichever port serves them, the primary gathers a worker's metrics from it.
    if (config.metrics.enabled) metricsReader();
  } else await serveManagement({ read: metricsReader(), ready: isReady });
  // Subscriptions over WebSocket (graphql-ws) at the same /graphql (src/realtime/websocket.ts).
  const websocket = serveWebSocket(server, yoga);
  // Failing to listen (the port in use) reaches the WebSocket server's error listener, which only
  // logs: the process would stay up serving nothing (a worker, held by its primary's channel) or
  // end with 0.
  server.on('error', (error) => {
    if (server.listening) return;
    logger.fatal(`Cannot listen on port ${config.port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(config.port, () => {
    // A worker's primary says when they all listen.
    if (!isWorker) sayReady(readyLine((server.address() as AddressInfo).port, started, 1, warmed));
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    markStopping();
    logger.warn(`${signal}: finishing requests in flight, then stopping`);
    // Subscriptions end: each stream sends what it has queued, then completes (SSE: `event:
    // complete`; WebSocket: `complete`, then the connection closes with 1001).
    hub.completeAll();
    void websocket.close(config.shutdownGraceMs);
    // A stream's connection is idle once its answer has ended: closed then, not at the keep-alive timeout.
    setInterval(() => server.closeIdleConnections(), 50).unref();
    // Requests in flight finish and get their answers; keep-alive connections close when idle.
    server.close(() => {
      closeDatabase()
        .catch((error: unknown) => logger.error({ err: error }, 'Closing the database failed'))
        .finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logger.warn(`Requests still running after ${config.shutdownGraceMs} ms: closing their connections`);
      server.closeAllConnections();
    }, config.shutdownGraceMs).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // A folder in use is the operator's to sort out: the message says what to do, a stack would not.
  if (error instanceof DataFolderInUseError) logger.fatal(error.message);
  else logger.fatal({ err: error }, 'The server could not start');
  process.exit(1);
});
