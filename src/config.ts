import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ClientBounds } from './http-server';

// A .env file fills in what the environment leaves unset (see .env.example); tests never read one.
if (process.env.NODE_ENV !== 'test' && existsSync('.env')) process.loadEnvFile('.env');

function readInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function readBool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function readChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.toLowerCase() as T;
  if (!choices.includes(value)) throw new Error(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return value;
}

/** The path of the metrics: a plain path of its own, not one the server answers otherwise. */
function readMetricsPath(): string {
  const raw = process.env.METRICS_PATH || '/metrics';
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(raw) || ['/graphql', '/live', '/ready', '/health'].includes(raw)) {
    throw new Error(`METRICS_PATH must be a path of its own, like /metrics, got "${raw}"`);
  }
  return raw;
}

function readDatabaseUrl(): string | undefined {
  const raw = process.env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) {
    throw new Error('DATABASE_URL must be a postgresql:// URL (leave it unset for the embedded PGlite database)');
  }
  return raw;
}

function readDataDir(): string {
  const raw = process.env.DATA_DIR || './data';
  return raw.startsWith('memory://') ? raw : path.resolve(raw);
}

export interface Config {
  readonly production: boolean;
  readonly port: number;
  /** PostgreSQL URL; when absent the embedded PGlite database in dataDir is used. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly poolMax: number;
  /**
   * Named prepared statements the loaders keep per PostgreSQL connection (least recently used ones
   * are deallocated); 0 sends every statement unnamed, parsed and planned each time.
   */
  readonly preparedStatements: number;
  /** How long a request waits for a PostgreSQL connection before it fails. */
  readonly connectTimeoutMs: number;
  /** Most requests waiting for a PostgreSQL connection; past it they are refused at once (503). */
  readonly poolMaxWaiting: number;
  /** Most GraphQL operations in execution at once; past it requests are refused at once (503). */
  readonly maxOperationsInFlight: number;
  /** Most summed cost (complexity) of the operations in execution; past it, 503. */
  readonly maxCostInFlight: number;
  /** What clients may make the HTTP server hold (src/http-server.ts). */
  readonly http: ClientBounds;
  /** Longest a statement may run; PostgreSQL cancels it past this. */
  readonly statementTimeoutMs: number;
  /** How long SIGTERM waits for requests in flight before closing their connections. */
  readonly shutdownGraceMs: number;
  readonly logSql: boolean;
  readonly graphiql: boolean;
  /** Execute operations compiled by graphql-jit instead of graphql-js' interpreter. */
  readonly jit: boolean;
  /** Apply pending migrations (and seed an empty database) when the server starts. */
  readonly migrateOnStart: boolean;
  /** V8's --heap-growing-percent for the server process; 0 leaves V8's own heuristics. */
  readonly heapGrowingPercent: number;
  /** Serve Prometheus metrics at metricsPath (src/metrics.ts). */
  readonly metrics: boolean;
  readonly metricsPath: string;
  /** Least level of the log lines written (src/logger.ts). */
  readonly logLevel: LogLevel;
  /** One JSON object per line, or a short line for people to read. */
  readonly logFormat: 'json' | 'pretty';
}

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export const config: Config = Object.freeze({
  production: process.env.NODE_ENV === 'production',
  port: readInt('PORT', 4000, 0, 65535),
  databaseUrl: readDatabaseUrl(),
  dataDir: readDataDir(),
  poolMax: readInt('PG_POOL_MAX', 10, 1, 1000),
  preparedStatements: readInt('PG_PREPARED_STATEMENTS', 100, 0, 10_000),
  connectTimeoutMs: readInt('PG_CONNECT_TIMEOUT_MS', 2_000, 100, 600_000),
  poolMaxWaiting: readInt('PG_POOL_MAX_WAITING', 100, 0, 100_000),
  maxOperationsInFlight: readInt('MAX_OPERATIONS_IN_FLIGHT', 64, 1, 100_000),
  maxCostInFlight: readInt('MAX_COST_IN_FLIGHT', 500_000, 1, 1_000_000_000),
  http: {
    sendTimeoutMs: readInt('HTTP_SEND_TIMEOUT_MS', 30_000, 100, 3_600_000),
    headersTimeoutMs: readInt('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000),
    requestTimeoutMs: readInt('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    keepAliveTimeoutMs: readInt('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 0, 3_600_000),
    maxConnections: readInt('MAX_CONNECTIONS', 1024, 1, 1_000_000),
    maxPipelined: readInt('MAX_PIPELINED', 2, 1, 1000),
    maxBufferedBytes: readInt('MAX_BUFFERED_BYTES', 256_000_000, 0, 100_000_000_000),
  },
  statementTimeoutMs: readInt('PG_STATEMENT_TIMEOUT_MS', 10_000, 100, 3_600_000),
  shutdownGraceMs: readInt('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
  logSql: readBool('LOG_SQL', false),
  graphiql: readBool('GRAPHIQL', true),
  jit: readBool('GRAPHQL_JIT', true),
  migrateOnStart: readBool('MIGRATE_ON_START', true),
  heapGrowingPercent: readInt('HEAP_GROWING_PERCENT', 150, 0, 1000),
  metrics: readBool('METRICS', true),
  metricsPath: readMetricsPath(),
  // Tests send thousands of requests in process: a line each would bury what they print.
  logLevel: readChoice('LOG_LEVEL', logLevels, process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  logFormat: readChoice(
    'LOG_FORMAT',
    ['json', 'pretty'] as const,
    process.env.NODE_ENV === 'production' ? 'json' : 'pretty',
  ),
});

export const pageSizes = Object.freeze({
  /** Page size of a connection asked for with neither `first` nor `last`. */
  default: readInt('DEFAULT_PAGE_SIZE', 20, 1, 10_000),
  /** Largest `first` or `last` a connection accepts. */
  max: readInt('MAX_PAGE_SIZE', 100, 1, 10_000),
});

/**
 * Most entries in one list of a bulk mutation (addHeroesToTeam, removeHeroesFromTeam,
 * setTeamHeroes): each list is written by one statement per kind of write, inside a transaction
 * that locks every listed hero, so its length bounds how long other writers to those rows wait.
 */
export const maxBulk = readInt('MAX_BULK', 1000, 1, 100_000);

/** Limits every operation must respect before it runs (see src/limits.ts). */
export const limits = Object.freeze({
  depth: readInt('MAX_DEPTH', 12, 1, 100),
  aliases: readInt('MAX_ALIASES', 15, 0, 1000),
  directives: readInt('MAX_DIRECTIVES', 10, 0, 1000),
  tokens: readInt('MAX_TOKENS', 1000, 10, 100_000),
  complexity: readInt('MAX_COMPLEXITY', 50_000, 1, 100_000_000),
  /** Longest list of ids in one argument: nodes(ids:) and the filters' ids. */
  ids: readInt('MAX_IDS', 500, 1, 100_000),
  bodyBytes: readInt('MAX_BODY_BYTES', 100_000, 1_000, 100_000_000),
  introspection: readBool('INTROSPECTION', true),
  fieldSuggestions: readBool('FIELD_SUGGESTIONS', !config.production),
});
