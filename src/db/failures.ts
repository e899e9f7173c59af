import type { DatabaseFailure } from '../errors/database';

// Which failures of a statement are the database's absence rather than the statement's own: one
// classification for every place that must tell them apart. The replica routing runs a read on
// the next server when a replica is away (src/db/replica-routing.ts); the GraphQL layer answers
// 503 DATABASE_UNAVAILABLE, or MUTATION_OUTCOME_UNKNOWN when a write was on its way
// (src/graphql/errors.ts, src/db/write-outcome.ts); the log and the metrics count them.
//
// Errors reach us in several wrappings: pg's own (a socket error, a DatabaseError with its
// SQLSTATE, a plain Error naming what happened), the driver adapters' DriverAdapterError whose
// `cause` holds a `kind` and the SQLSTATE, Prisma's errors holding that one in
// `meta.driverAdapterError`, and GraphQLErrors holding any of them in `originalError`.

/** Thrown for a statement sent to an embedded database that has stopped (src/db/write-outcome.ts). */
export class DatabaseStoppedError extends Error {
  constructor(reason: string) {
    super(`The embedded database has stopped (${reason}): restart the server`);
    this.name = 'DatabaseStoppedError';
  }
}

/**
 * Thrown in place of pg-pool's "timeout exceeded when trying to connect" when the pool waited
 * because the server cannot be reached (src/db/pools.ts), rather than because every connection was busy.
 */
export class DatabaseUnreachableError extends Error {
  constructor(cause: unknown) {
    super(`No connection to the database could be made (${cause instanceof Error ? cause.message : String(cause)})`, {
      cause,
    });
    this.name = 'DatabaseUnreachableError';
  }
}

/** Socket errors of Node's, by what they say of a statement that met them. */
const socketErrors: Record<string, DatabaseFailure> = {
  ECONNREFUSED: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENOTFOUND: 'unreachable',
  EAI_AGAIN: 'unreachable',
  ECONNRESET: 'lost',
  ECONNABORTED: 'lost',
  EPIPE: 'lost',
  ETIMEDOUT: 'lost',
};

/** The driver adapters' kinds of failure (@prisma/driver-adapter-utils' MappedError). */
const adapterKinds: Record<string, DatabaseFailure> = {
  DatabaseNotReachable: 'unreachable',
  TooManyConnections: 'unreachable',
  ConnectionClosed: 'lost',
  SocketTimeout: 'lost',
};

/** Prisma's own codes for the same (P1xxx: the connection). */
const prismaCodes: Record<string, DatabaseFailure> = {
  P1001: 'unreachable',
  P1002: 'unreachable',
  P1008: 'lost',
  P1017: 'lost',
};

function fromSqlState(code: string): DatabaseFailure | null {
  // Class 08, connection exception: 08001 and 08004 at connection time, the others in use.
  if (code === '08001' || code === '08004') return 'unreachable';
  if (code.startsWith('08')) return 'lost';
  switch (code) {
    case '57P01': // admin_shutdown: the session was terminated (pg_terminate_backend, a fast shutdown)
    case '57P02': // crash_shutdown: another backend crashed, every session is ended
      return 'lost';
    case '57P03': // cannot_connect_now: starting up, in recovery, shutting down
    case '53300': // too_many_connections
      return 'unreachable';
    case '25006': // read_only_sql_transaction
      return 'read_only';
    case '53100': // disk_full
      return 'storage';
  }
  // Class 58, system error: files the server cannot open, create or write (58P01: no such file).
  if (code.startsWith('58')) return 'storage';
  return null;
}

const sqlState = /^[0-9A-Z]{5}$/;

// pg's and pg-pool's own words (they give these errors no code).
const messages: [RegExp, DatabaseFailure][] = [
  [/^timeout expired$|Connection terminated due to connection timeout/, 'unreachable'],
  [/^Connection terminated|is not queryable|^Query read timeout$/, 'lost'],
];

/** What one error (not what it wraps) says, or null. */
function classifyOne(error: Record<string, unknown>): DatabaseFailure | null {
  if (error instanceof DatabaseStoppedError) return 'stopped';
  if (error instanceof DatabaseUnreachableError) return 'unreachable';
  const { code, originalCode, kind, severity, syscall, message } = error;
  for (const state of [originalCode, code]) {
    if (typeof state === 'string' && sqlState.test(state)) {
      const failure = fromSqlState(state);
      if (failure) return failure;
    }
  }
  // A PANIC ends the server (PostgreSQL restarts every session; PGlite stops): the session is gone.
  if (severity === 'PANIC') return 'lost';
  if (typeof kind === 'string' && adapterKinds[kind]) return adapterKinds[kind];
  if (typeof code === 'string') {
    if (prismaCodes[code]) return prismaCodes[code];
    // ENOENT only for a Unix socket that is not there: from files it says nothing of the database.
    if (code === 'ENOENT' && syscall === 'connect') return 'unreachable';
    if (code === 'ETIMEDOUT' && syscall === 'connect') return 'unreachable';
    if (socketErrors[code]) return socketErrors[code];
  }
  if (typeof message === 'string') {
    for (const [pattern, failure] of messages) if (pattern.test(message)) return failure;
  }
  return null;
}

/** The failure an error (or one it wraps) says, and the wrapped error that says it. */
function find(error: unknown): { failure: DatabaseFailure; source: Record<string, unknown> } | null {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const record = current as Record<string, unknown>;
    const failure = classifyOne(record);
    if (failure) return { failure, source: record };
    const meta = record.meta as { driverAdapterError?: unknown } | undefined;
    current = record.originalError ?? meta?.driverAdapterError ?? record.cause;
  }
  return null;
}

/**
 * Whether an error, or any error it wraps, is the database's absence (see DatabaseFailure), and
 * which; null for everything else: the statement's own failures (a constraint, a statement
 * timeout, bad input), which another attempt would meet as well, and our bugs.
 */
export function databaseFailure(error: unknown): DatabaseFailure | null {
  return find(error)?.failure ?? null;
}

/** For the log: what the database (or the socket) said, with its code, without the wrappers' words. */
export function failureDetail(error: unknown): string {
  const source = find(error)?.source;
  const said = source ?? (error as Record<string, unknown> | null);
  const code = said?.originalCode ?? said?.code;
  const message = said?.originalMessage ?? said?.message ?? String(error);
  return `${typeof code === 'string' ? `${code} ` : ''}${String(message)}`.trim();
}
