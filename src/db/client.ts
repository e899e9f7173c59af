import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { config } from '../config';
import { PrismaClient } from '../generated/prisma/client';
import { countStatement } from '../ops/request-tracking';
import type { Database } from './database';
import { pgliteDatabase } from './pglite';
import { postgresDatabase } from './pools';
import { emitQuery } from './query-events';

// The process's database and its Prisma Client, opened as the configuration says: PostgreSQL
// (DATABASE_URL) or the embedded PGlite.

/** The database of the process (its reads: src/db/reads.ts). */
export const database: Database = config.databaseUrl ? postgresDatabase(config.databaseUrl) : pgliteDatabase();

export const databaseKind = database.kind;

/** The PostgreSQL pool's connections and waiters, for the metrics; undefined on PGlite. */
export const poolStats = database.poolStats;

/** Each read replica's state and lag, for the metrics; undefined without DATABASE_READ_URL. */
export const replicaStatus = database.replicas && (() => database.replicas!.status());

/**
 * Starts the read replicas' background checks (DATABASE_READ_URL) and resolves after the first:
 * until a check finds a replica fit, its reads go to the primary. Nothing to do without replicas.
 */
export function startReplicaChecks(): Promise<void> {
  return database.replicas?.start() ?? Promise.resolve();
}

/**
 * Opens the embedded database now rather than at the first query, so that a server whose data
 * folder is in use refuses to start (DataFolderInUseError) instead of failing its first request.
 */
export function openDatabase(): void {
  database.open();
}

/** The driver adapter factory behind `prisma`; migrations run through the same one. */
export const adapterFactory = database.factory;

export const prisma = new PrismaClient({
  adapter: adapterFactory,
  log: [{ emit: 'event', level: 'query' }],
  // A transaction waits for its connection as long as any statement does (PG_CONNECT_TIMEOUT_MS),
  // and then the pool says why it had none (OVERLOADED or DATABASE_UNAVAILABLE): Prisma's own
  // wait (maxWait, 2 s by default, as PG_CONNECT_TIMEOUT_MS is) would otherwise end first half the
  // time, with an error of its own that says neither.
  transactionOptions: { maxWait: config.connectTimeoutMs + 1_000 },
});

/**
 * Runs schema-engine work (migrations) on a connection of its own. The engine takes PostgreSQL's
 * migration advisory lock and keeps it as long as its connection lives: on the shared pool, that
 * connection would stay idle with the lock held, and another replica starting up would wait on it.
 */
export async function withMigrationDatabase<T>(
  work: (factory: SqlMigrationAwareDriverAdapterFactory) => Promise<T>,
): Promise<T> {
  const own = await database.forMigrations();
  try {
    return await work(own.factory);
  } finally {
    await own.close();
  }
}

/**
 * On PGlite, listens on `channel` in the embedded database's session: its NOTIFYs arrive with the
 * answers of the statements that commit them. Undefined on PostgreSQL, where a listener needs a
 * connection of its own (src/realtime/event-source.ts).
 */
export const listenInProcess = database.listen;

const beforeCloseHooks = new Set<() => Promise<void>>();

/** Runs `hook` when the database is closed, before it is (the LISTEN connection, say). */
export function beforeCloseDatabase(hook: () => Promise<void>): () => void {
  beforeCloseHooks.add(hook);
  return () => beforeCloseHooks.delete(hook);
}

/** Disconnects Prisma and closes the pool or the embedded database. */
export async function closeDatabase(): Promise<void> {
  for (const hook of [...beforeCloseHooks]) await hook();
  await prisma.$disconnect();
  await database.close();
}

// Prisma's $on cannot be undone, so one listener fans out to subscribers that can be. Every
// statement Prisma Client sends (the writes) counts against the request that sent it, as the reads
// of readValues do.
prisma.$on('query', (event) => {
  countStatement(event.query, event.params, event.duration);
  emitQuery({ query: event.query, params: event.params, duration: event.duration, named: false });
});
