import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type DatabaseFailure, databaseFailures } from '../errors/database';
import { currentRequest, type RequestRecord, statementsSent } from './request-tracking';

// Prometheus metrics, served in its text format at METRICS_PATH (src/graphql/yoga.ts). Written on
// prom-client directly rather than with @graphql-yoga/plugin-prometheus: that plugin labels its
// HTTP histogram with the request's whole URL and every operation name as sent (both unbounded),
// times parse, validate, context and execute separately (hooks and observations we do not need),
// does not see requests refused before they are parsed, and counts errors by phase, not by code.
// What the server needs is one observation per request (from src/ops/request-tracking.ts), the
// loaders' batch sizes, the pool read at scrape time and the refusals.

export const registry = new Registry();

/** A label value from a set a client could grow: the first `max` values seen, then "other". */
function boundedLabels(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

const MAX_OPERATION_NAMES = 100;
const operationLabel = boundedLabels(MAX_OPERATION_NAMES);
const codeLabel = boundedLabels(50);

const requestDuration = new Histogram({
  name: 'graphql_request_duration_seconds',
  help:
    'GraphQL requests to /graphql, from their arrival to their answer, by operation name (the first ' +
    `${MAX_OPERATION_NAMES} names of parsed documents, then "other"; "anonymous"; "none" before parsing), ` +
    'operation type and outcome (success, error, shed, unavailable, unexpected)',
  labelNames: ['operation', 'type', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const errors = new Counter({
  name: 'graphql_errors_total',
  help: 'Errors answered to GraphQL requests, by extensions.code',
  labelNames: ['code'] as const,
  registers: [registry],
});

const statementsPerRequest = new Histogram({
  name: 'graphql_sql_statements_per_request',
  help: 'SQL statements a GraphQL request sent (reads and writes)',
  buckets: [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64],
  registers: [registry],
});

new Counter({
  name: 'db_statements_total',
  help:
    'SQL statements the process sent, by what for: request (a GraphQL request), subscription_event ' +
    '(resolving a change event, shared by its subscribers), other (start, migrations, checks)',
  labelNames: ['purpose'] as const,
  registers: [registry],
  collect() {
    // The totals are kept where statements are counted (request-tracking.ts, which this module
    // reads): the counter only shows them.
    this.reset();
    for (const [purpose, count] of Object.entries(statementsSent)) this.inc({ purpose }, count);
  },
});

const subscriptionDeliveries = new Counter({
  name: 'graphql_subscription_deliveries_total',
  help: 'Change events handed to subscriptions (one per event and subscriber)',
  registers: [registry],
});

const subscriptionExecutions = new Counter({
  name: 'graphql_subscription_executions_total',
  help:
    'Executions of change events for subscribers: one per event and distinct operation (document, ' +
    'variables, role), whatever the number of subscribers that sent it',
  registers: [registry],
});

const subscriptionExecutionRetries = new Counter({
  name: 'graphql_subscription_execution_retries_total',
  help:
    "Executions of change events run again because their reads met the database's absence (an event " +
    'is delivered whole, once its reads succeed)',
  registers: [registry],
});

/** Counts `count` events handed to subscriptions. */
export function countSubscriptionDeliveries(count: number): void {
  subscriptionDeliveries.inc(count);
}

/** Counts one execution of an event for the subscribers of one operation. */
export function countSubscriptionExecution(): void {
  subscriptionExecutions.inc();
}

/** Counts one execution of an event run again after meeting the database's absence. */
export function countSubscriptionExecutionRetry(): void {
  subscriptionExecutionRetries.inc();
}

const responseCacheLookups = new Counter({
  name: 'graphql_response_cache_lookups_total',
  help: 'Queries looked up in the response cache (RESPONSE_CACHE), by outcome: hit, miss, or bypass (not served from the cache: it is not following the change log, or the request asked for x-explain)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const responseCacheStores = new Counter({
  name: 'graphql_response_cache_stores_total',
  help: 'Answers offered to the response cache, by outcome: stored, raced (a change it may have missed was announced while it ran), too-large (over a quarter of RESPONSE_CACHE_MAX_MB)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const responseCacheDrops = new Counter({
  name: 'graphql_response_cache_dropped_total',
  help: 'Answers dropped from the response cache because an event named something they read, or because it stopped following the change log',
  registers: [registry],
});

/** Counts a lookup in the response cache. */
export function countResponseCacheLookup(outcome: 'hit' | 'miss' | 'bypass'): void {
  responseCacheLookups.inc({ outcome });
}

/** Counts an answer offered to the response cache. */
export function countResponseCacheStore(outcome: 'stored' | 'raced' | 'too-large'): void {
  responseCacheStores.inc({ outcome });
}

/** Counts answers dropped from the response cache. */
export function countResponseCacheDrops(count: number): void {
  if (count > 0) responseCacheDrops.inc(count);
}

/** Shows the response cache's size as graphql_response_cache_entries and _bytes when scraped. */
export function watchResponseCache(read: () => { entries: number; bytes: number }): void {
  new Gauge({
    name: 'graphql_response_cache_entries',
    help: 'Answers held by the response cache',
    registers: [registry],
    collect() {
      this.set(read().entries);
    },
  });
  new Gauge({
    name: 'graphql_response_cache_bytes',
    help: 'Bytes the response cache holds, as it counts them (RESPONSE_CACHE_MAX_MB bounds them)',
    registers: [registry],
    collect() {
      this.set(read().bytes);
    },
  });
}

/** Shows `read()` (the hub's open subscriptions) as graphql_subscriptions_open when scraped. */
export function watchSubscriptions(read: () => number): void {
  new Gauge({
    name: 'graphql_subscriptions_open',
    help: 'Subscriptions open in this process, over SSE and WebSocket (MAX_SUBSCRIPTIONS bounds them)',
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

const batchSizes = new Histogram({
  name: 'dataloader_batch_size',
  help: 'Keys in one batch of a DataLoader (one SQL statement each), by loader',
  labelNames: ['loader'] as const,
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  registers: [registry],
});

const shed = new Counter({
  name: 'http_requests_shed_total',
  help:
    'Requests answered 503 OVERLOADED for lack of capacity, by reason: operations_in_flight, ' +
    'cost_in_flight, operations_per_client, no_connection (http/admission.ts), pipelined, buffered_bytes (http/node-server.ts), ' +
    'subscriptions (MAX_SUBSCRIPTIONS, realtime/hub.ts)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export type ShedReason =
  | 'operations_in_flight'
  | 'cost_in_flight'
  | 'operations_per_client'
  | 'no_connection'
  | 'pipelined'
  | 'buffered_bytes'
  | 'event_loop_delay'
  | 'memory'
  | 'subscriptions';

// Every reason present from the start, at 0, so that rates work from the first refusal on.
for (const reason of [
  'operations_in_flight',
  'cost_in_flight',
  'operations_per_client',
  'no_connection',
  'pipelined',
  'buffered_bytes',
  'event_loop_delay',
  'memory',
  'subscriptions',
] satisfies ShedReason[]) {
  shed.labels(reason);
}

/** Counts a refusal for lack of capacity: once per request, whatever number of its fields met it. */
export function countShed(reason: ShedReason): void {
  const record = currentRequest();
  if (record) {
    if (record.shed !== null) return;
    record.shed = reason;
  }
  shed.labels(reason).inc();
}

const unavailable = new Counter({
  name: 'http_requests_database_unavailable_total',
  help:
    'Requests answered DATABASE_UNAVAILABLE or MUTATION_OUTCOME_UNKNOWN (503 when nothing else was answered), ' +
    'by what the database did: unreachable, lost (the connection, in use), read_only, storage (disk full, ' +
    'files gone), stopped (the embedded database after a PANIC, or its folder gone); subscription events count each',
  labelNames: ['failure'] as const,
  registers: [registry],
});
for (const failure of databaseFailures) unavailable.labels(failure);

/** Requests counted in http_requests_database_unavailable_total already. */
const countedUnavailable = new WeakSet<object>();

/** Counts an answer given for the database's absence: once per request, whatever its number of fields. */
export function countUnavailable(failure: DatabaseFailure): void {
  const record = currentRequest();
  if (record) {
    if (countedUnavailable.has(record)) return;
    countedUnavailable.add(record);
  }
  unavailable.labels(failure).inc();
}

const batchSizesByLoader = new Map<string, { observe(keys: number): void }>();

/** A loader's batch histogram (loaders are made per request): `observe(keys)` for each batch it sends. */
export function batchSizeOf(loader: string): { observe(keys: number): void } {
  let histogram = batchSizesByLoader.get(loader);
  if (!histogram) batchSizesByLoader.set(loader, (histogram = batchSizes.labels(loader)));
  return histogram;
}

/** Records a GraphQL request once its answer is ready (an onDone of useRequestTracking). */
export function observeRequest(record: RequestRecord): void {
  const operation = record.operationType === null ? 'none' : operationLabel(record.operationName ?? 'anonymous');
  requestDuration.labels(operation, record.operationType ?? 'none', record.outcome).observe(record.durationMs / 1000);
  for (const code of record.errorCodes) errors.labels(codeLabel(code)).inc();
  statementsPerRequest.observe(record.statements);
}

export interface PoolStats {
  /** Connections open, in use or idle. */
  total: number;
  idle: number;
  /** Statements waiting for a connection. */
  waiting: number;
  max: number;
}

/**
 * The database connections, read when scraped from `read`, the PostgreSQL pool's counts. The
 * embedded PGlite database has no pool (one session in the process, never waited for): without
 * `read` only db_pool_max is given, 1.
 */
export function watchPool(read: (() => PoolStats) | undefined): void {
  new Gauge({
    name: 'db_pool_max',
    help: 'Most connections the pool opens (PG_POOL_MAX; 1 for the embedded PGlite)',
    registers: [registry],
    collect() {
      this.set(read ? read().max : 1);
    },
  });
  if (!read) return;
  const gauge = (name: string, help: string, value: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(read()));
      },
    });
  gauge('db_pool_connections_in_use', 'PostgreSQL connections checked out of the pool', (s) => s.total - s.idle);
  gauge('db_pool_connections_idle', 'PostgreSQL connections open and idle in the pool', (s) => s.idle);
  gauge('db_pool_requests_waiting', 'Statements waiting for a PostgreSQL connection', (s) => s.waiting);
}

const reads = new Counter({
  name: 'db_reads_total',
  help:
    'Reads of the loaders and root lists by the server that ran them: "primary", or a read replica ' +
    '(host:port/database). With DATABASE_READ_URL only',
  labelNames: ['target'] as const,
  registers: [registry],
});

/** The counter of the reads run on `target` ("primary", or a replica's name). */
export function readsOn(target: string): { inc(): void } {
  return reads.labels(target);
}

const failovers = new Counter({
  name: 'db_replica_failovers_total',
  help:
    'Reads that failed on a read replica for want of a connection (or cancelled by its recovery) ' +
    'and ran on the next replica or the primary instead, by replica',
  labelNames: ['replica'] as const,
  registers: [registry],
});

/** The counter of the reads that `replica` failed and another server ran. */
export function failoversFrom(replica: string): { inc(): void } {
  return failovers.labels(replica);
}

/**
 * A read replica's state (src/db/replica-routing.ts decides it).
 * unchecked: not yet checked (not read from); usable: read from; lagging: further behind than
 * MAX_REPLICA_LAG_MS, or by how much is not known yet; down: it does not answer.
 */
export type ReplicaState = 'unchecked' | 'usable' | 'lagging' | 'down';

export interface ReplicaStatus {
  /** host:port/database, as the logs and metrics name it (never the URL: it may hold a password). */
  readonly name: string;
  readonly state: ReplicaState;
  /**
   * How far behind the primary it was at the last check, in ms: what it had replayed then, the
   * primary had written that long before (at least that long when it is behind every sample kept).
   * Null until it has been measured.
   */
  readonly lagMs: number | null;
}

const replicaStates: readonly ReplicaState[] = ['unchecked', 'usable', 'lagging', 'down'];

/** Each read replica's state and lag, read when scraped from `read` (src/db/replica-routing.ts). */
export function watchReplicas(read: (() => ReplicaStatus[]) | undefined): void {
  if (!read) return;
  new Gauge({
    name: 'db_replica_state',
    help: "Each read replica's state, 1 for the one it is in: usable (read from), lagging (past MAX_REPLICA_LAG_MS, skipped), down (skipped), unchecked",
    labelNames: ['replica', 'state'] as const,
    registers: [registry],
    collect() {
      for (const { name, state } of read()) {
        for (const each of replicaStates) this.labels(name, each).set(each === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'db_replica_lag_seconds',
    help: 'How far each read replica was behind the primary at its last check (absent until measured)',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      for (const { name, lagMs } of read()) if (lagMs !== null) this.labels(name).set(lagMs / 1000);
    },
  });
}
