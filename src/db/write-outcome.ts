import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  Transaction,
} from '@prisma/driver-adapter-utils';
import { logger } from '../ops/logger';
import { databaseFailure, DatabaseStoppedError } from './failures';

// Whether a mutation that met a lost connection may have changed data. PostgreSQL rolls back a
// transaction whose session dies before its COMMIT, so a connection lost mid-transaction means
// "not written"; but once COMMIT is sent (or a statement outside a transaction, which commits by
// itself), a connection lost before the answer leaves the outcome unknown: the server may have
// committed and had no way to say so. Only the driver adapter sees when a COMMIT goes out, so it
// is watched there (every statement Prisma Client sends passes through it), and what it sees is
// kept for the mutation that is running (src/graphql/mutation-outcome.ts) in an AsyncLocalStorage.
//
// The embedded database (PGlite) has no connection to lose, but it has failures of its own:
// - after a PANIC (a checkpoint or a WAL write on a full disk) its PostgreSQL is no longer sound,
//   and in PGlite 0.5 the next statements answered nothing (an empty result for SELECT 1) or
//   never answered;
// - its data folder removed under it, it goes on writing into the files it holds open, which are
//   gone: every change acknowledged from then on would be lost at the next start.
// From then on every statement is refused at once (DatabaseStoppedError, answered
// DATABASE_UNAVAILABLE) and the log says why: a restart replays the WAL after a PANIC, and a
// removed folder has to be put back first. The folder is looked for (one stat) before each
// statement, so that no change is acknowledged after it went.

/** What the statements of one mutation did, as far as the database told. */
export interface WriteAttempt {
  /** A write or a COMMIT went out and its answer did not come back: it may have been committed. */
  inDoubt: boolean;
  /** A write was committed (a statement outside a transaction, or a COMMIT, was answered). */
  committed: boolean;
}

const attempts = new AsyncLocalStorage<WriteAttempt>();

/** Runs a mutation's resolver, recording in `attempt` what its statements did. */
export function trackWrites<T>(attempt: WriteAttempt, work: () => T): T {
  return attempts.run(attempt, work);
}

/** Statements that read only: everything else sent outside a transaction counts as a write. */
const readOnly = /^\s*(SELECT|SHOW|EXPLAIN)\b/i;

/**
 * Runs a statement that commits what it does (COMMIT, or a write outside a transaction) for the
 * attempt in progress, if any: in doubt while it is out, committed once it is answered, and still
 * in doubt if the connection was lost meanwhile. A failure to connect sent nothing; any other
 * failure (a constraint, a full disk) is the statement's own and committed nothing.
 */
async function committing<T>(send: () => Promise<T>): Promise<T> {
  const attempt = attempts.getStore();
  if (!attempt) return send();
  attempt.inDoubt = true;
  try {
    const result = await send();
    attempt.inDoubt = false;
    attempt.committed = true;
    return result;
  } catch (error) {
    if (databaseFailure(error) !== 'lost') attempt.inDoubt = false;
    throw error;
  }
}

interface Stop {
  /** A file of the data folder that is there as long as the folder is (null: in memory). */
  readonly marker: string | null;
  /** Whether the marker was seen (a new folder has none until the database first makes it). */
  markerSeen: boolean;
  /** Why the database stopped, once it has. */
  reason: string | null;
}

function stopWith(stop: Stop, reason: string, remedy: string): void {
  if (stop.reason !== null) return;
  stop.reason = reason;
  logger.error(
    `The embedded database stopped (${reason}): every request that needs it is answered 503 DATABASE_UNAVAILABLE; ${remedy}`,
  );
}

/** Fails at once when the embedded database has stopped; stops it at a PANIC or when its folder is gone. */
async function guarded<T>(stop: Stop | undefined, send: () => Promise<T>): Promise<T> {
  if (!stop) return send();
  if (stop.reason === null && stop.marker !== null) {
    if (existsSync(stop.marker)) stop.markerSeen = true;
    else if (stop.markerSeen) {
      stopWith(
        stop,
        `its data folder is gone: ${path.dirname(stop.marker)}`,
        'put the folder back (from a backup) and restart the server',
      );
    }
  }
  if (stop.reason !== null) throw new DatabaseStoppedError(stop.reason);
  try {
    return await send();
  } catch (error) {
    const panic = panicOf(error);
    if (panic !== null) stopWith(stop, `PANIC: ${panic}`, 'restart the server, which replays its WAL');
    throw error;
  }
}

/** The message of a PANIC, if `error` is one (a DriverAdapterError or Prisma's error holding one). */
function panicOf(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    const record = current as { severity?: unknown; message?: unknown; cause?: unknown; meta?: unknown };
    if (record.severity === 'PANIC') return typeof record.message === 'string' ? record.message : 'PANIC';
    current = (record.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError ?? record.cause;
  }
  return null;
}

function watchTransaction(transaction: Transaction, stop: Stop | undefined): Transaction {
  return new Proxy(transaction, {
    get(target, property) {
      switch (property) {
        case 'queryRaw':
        case 'executeRaw':
          return (query: { sql: string }) => {
            const send = () => target[property](query as never) as Promise<never>;
            // pg's adapter sends COMMIT as a statement, then calls commit() to release the connection.
            return guarded(stop, /^\s*COMMIT\b/i.test(query.sql) ? () => committing(send) : send);
          };
        case 'commit':
          // PGlite's adapter commits in commit() itself (no COMMIT statement is sent).
          return () => guarded(stop, () => committing(() => target.commit()));
        default: {
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        }
      }
    },
  });
}

function watchAdapter(adapter: SqlDriverAdapter, stop: Stop | undefined): SqlDriverAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      switch (property) {
        case 'queryRaw':
        case 'executeRaw':
          return (query: { sql: string }) => {
            const send = () => target[property](query as never) as Promise<never>;
            return guarded(stop, readOnly.test(query.sql) ? send : () => committing(send));
          };
        case 'executeScript':
          return (script: string) => guarded(stop, () => target.executeScript(script));
        case 'startTransaction':
          return async (isolationLevel?: Parameters<SqlDriverAdapter['startTransaction']>[0]) =>
            watchTransaction(await guarded(stop, () => target.startTransaction(isolationLevel)), stop);
        default: {
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        }
      }
    },
  });
}

/**
 * The driver adapter factory of `factory`, whose adapters record what mutations commit (see
 * WriteAttempt) and, for the embedded database (`embedded`, with its data folder, or null in
 * memory), refuse every statement once it has stopped.
 */
export function watchWrites(
  factory: SqlMigrationAwareDriverAdapterFactory,
  options: { embedded?: { dataDir: string | null } },
): SqlMigrationAwareDriverAdapterFactory {
  const stop: Stop | undefined = options.embedded
    ? {
        marker: options.embedded.dataDir && path.join(options.embedded.dataDir, 'PG_VERSION'),
        markerSeen: false,
        reason: null,
      }
    : undefined;
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => watchAdapter(await factory.connect(), stop),
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
}
