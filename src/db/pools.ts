import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolClient } from 'pg';
import { config } from '../config';
import { OverloadedError } from '../errors/overload';
import { DrainRate } from '../ops/drain-rate';
import { logger } from '../ops/logger';
import { currentRequest } from '../ops/request-tracking';
import type { Database } from './database';
import { databaseFailure, DatabaseUnreachableError } from './failures';
import { connectionFor, followerFor, followWithPool, stopFollowers } from './host-list';
import { postgresMigrationFactory } from './migrations';
import { readOn } from './prepared-statements';
import { ReplicaRouter } from './replica-routing';
import { watchWrites } from './write-outcome';

/**
 * An idle connection that dies (PostgreSQL restarted, network cut) emits 'error' on its pool;
 * unhandled, that would crash the process. The pool replaces it on the next checkout.
 */
function reportLostConnections(pool: Pool, server = 'PostgreSQL'): Pool {
  pool.on('error', (error) => logger.error(`${server} connection lost: ${error.message}`));
  return pool;
}

/**
 * PG_GENERIC_PLANS: each new connection runs named statements with their generic plan from the
 * first run. Left to choose (plan_cache_mode=auto), PostgreSQL plans a named statement for its
 * values on its first five runs and then on every run whose generic plan it estimates costlier, as
 * it does for the loaders' statements (`= ANY($1::int[])`, `unnest($1::int[])`): measured on a
 * hero or a team page, planning doubled PostgreSQL's CPU per request. Those statements are written
 * for one plan to serve any values (test/generic-plans.test.ts checks those plans). Sent on
 * 'connect', which pg-pool emits before it hands the connection out, so the SET is queued ahead of
 * the connection's first statement (node-postgres's documented way to set up a pool's
 * connections): it works through a host list, and with whatever options the URL carries.
 */
function keepGenericPlans(pool: Pool): Pool {
  pool.on('connect', (client) => {
    client.query('SET plan_cache_mode = force_generic_plan').catch((error: Error) => {
      // The connection is broken: its next statement fails and pg-pool replaces it.
      logger.warn(`PG_GENERIC_PLANS: SET plan_cache_mode failed: ${error.message}`);
    });
  });
  return pool;
}

/** pg-pool's words when no connection came within connectionTimeoutMillis. */
const poolTimeout = /timeout exceeded when trying to connect/;

/**
 * Bounds the wait for a pooled connection when every connection is in use: by the requests
 * waiting (at most `maxRequests`; a request with 15 aliased lists may wait with several
 * statements, and counts once), and by time: a statement that the pool's measured drain rate says
 * would not get a connection within `timeoutMs` is refused at once, and one that waited that long
 * (pg-pool's connectionTimeoutMillis) is refused then. Either is OverloadedError (503 OVERLOADED).
 * A timeout while the pool was not full is not overload but a server that does not answer: pg's
 * own error, passed on.
 */
function boundWaiting(pool: Pool, maxRequests: number, timeoutMs: number, size: number): Pool {
  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown;
  /** Statements waiting, by the request that sent them (work outside requests counts as one). */
  const waiting = new Map<object, number>();
  const outside = {};
  const drain = new DrainRate(Math.max(1_000, timeoutMs));
  const full = () => pool.idleCount === 0 && pool.totalCount >= size;
  pool.connect = ((callback?: (...args: unknown[]) => void) => {
    if (!full()) return connect(callback);
    const who: object = currentRequest() ?? outside;
    const refuse = (error: Error) => {
      if (callback) return void process.nextTick(callback, error);
      return Promise.reject(error);
    };
    if (!waiting.has(who)) {
      if (waiting.size >= maxRequests) {
        return refuse(
          new OverloadedError(`${waiting.size} requests wait for a connection, PG_POOL_MAX_WAITING=${maxRequests}`),
        );
      }
      const expected = drain.waitMs(pool.waitingCount);
      if (expected !== null && expected > timeoutMs) {
        return refuse(
          new OverloadedError(
            `about ${Math.round(expected)} ms of wait expected for a connection (${pool.waitingCount} statements waiting), PG_CONNECT_TIMEOUT_MS=${timeoutMs}`,
          ),
        );
      }
    }
    waiting.set(who, (waiting.get(who) ?? 0) + 1);
    const done = (error: unknown): unknown => {
      const left = waiting.get(who)! - 1;
      if (left === 0) waiting.delete(who);
      else waiting.set(who, left);
      if (!error) {
        drain.departed(pool.waitingCount);
        return undefined;
      }
      // Still full: the connections were busy, not the server away.
      if (error instanceof Error && poolTimeout.test(error.message) && pool.totalCount >= size) {
        return new OverloadedError(`no connection within PG_CONNECT_TIMEOUT_MS=${timeoutMs}, every one in use`);
      }
      return error;
    };
    if (callback) {
      return connect((error: unknown, ...rest: unknown[]) => callback(done(error), ...rest));
    }
    return (connect() as Promise<PoolClient>).then(
      (client) => {
        done(null);
        return client;
      },
      (error: unknown) => {
        throw done(error);
      },
    );
  }) as Pool['connect'];
  return pool;
}

/**
 * pg-pool says "timeout exceeded when trying to connect" of any request that waited its connect
 * timeout for a connection: when every connection was busy (capacity: OVERLOADED), but also when
 * the connections it was opening could not reach the server, as when the server's host is gone
 * and connections neither open nor fail before their own timeout. The second is told apart by
 * the pool's last attempt to connect: while it failed and none has succeeded since, the wait is
 * the database's absence (DatabaseUnreachableError: DATABASE_UNAVAILABLE).
 */
function explainWaits(pool: Pool): Pool {
  let unreachable: Error | null = null;
  pool.on('connect', () => (unreachable = null));
  const judge = (error: Error): Error => {
    if (error.message === 'timeout exceeded when trying to connect') {
      return unreachable ? new DatabaseUnreachableError(unreachable) : error;
    }
    if (databaseFailure(error) === 'unreachable') unreachable = error;
    return error;
  };
  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown;
  pool.connect = ((callback?: (error: Error | undefined, ...rest: unknown[]) => void) => {
    if (callback) {
      return connect((error, ...rest) => callback(error instanceof Error ? judge(error) : undefined, ...rest));
    }
    return (connect() as Promise<PoolClient>).catch((error: Error) => Promise.reject(judge(error)));
  }) as Pool['connect'];
  return pool;
}

/**
 * A pool of PG_POOL_MAX connections to `url`. Fail fast when the server is away or the pool is
 * exhausted, instead of queueing forever. A libpq host list's connections go to the host that
 * fits its target_session_attrs (src/db/host-list.ts), and move with it.
 */
function queryPool(url: string, server?: string): Pool {
  const pool = boundWaiting(
    explainWaits(
      reportLostConnections(
        followWithPool(
          new Pool({
            ...connectionFor(url),
            max: config.poolMax,
            connectionTimeoutMillis: config.connectTimeoutMs,
            idleTimeoutMillis: 30_000,
            statement_timeout: config.statementTimeoutMs,
            query_timeout: config.statementTimeoutMs + 1_000,
          }),
          url,
        ),
        server,
      ),
    ),
    config.poolMaxWaiting,
    config.connectTimeoutMs,
    config.poolMax,
  );
  return config.genericPlans ? keepGenericPlans(pool) : pool;
}

/**
 * The PostgreSQL database of DATABASE_URL: one pool for the queries, pools of their own for the
 * read replicas (DATABASE_READ_URL), and a session of its own for the migrations.
 */
export function postgresDatabase(databaseUrl: string): Database {
  // One pool for every query (migrations take a connection of their own: withMigrationDatabase).
  const pool = queryPool(databaseUrl);
  // Replicas get pools of their own, made the same way (src/db/replica-routing.ts).
  const replicas =
    config.replicaUrls.length > 0
      ? new ReplicaRouter({
          primary: pool,
          primaryUrl: databaseUrl,
          replicaUrls: config.replicaUrls,
          newPool: (url, name) => queryPool(url, `Read replica ${name}:`),
          readOn,
          maxLagMs: config.maxReplicaLagMs,
          checkIntervalMs: config.replicaCheckIntervalMs,
          checkTimeoutMs: config.connectTimeoutMs,
        })
      : undefined;
  return {
    kind: 'postgresql',
    open: () => undefined,
    factory: watchWrites(new PrismaPg(pool), {}),
    read: replicas
      ? (text, values, sendAs, target) => replicas.read(target, text, values, sendAs)
      : (text, values, sendAs) => readOn(pool, text, values, sendAs),
    replicas,
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: config.poolMax,
    }),
    // DATABASE_DIRECT_URL when DATABASE_URL goes through PgBouncer in transaction mode: the
    // engine's advisory lock belongs to a session, which such a pooler hands to others between
    // statements (taken on one server connection, released on another, held on the first).
    // A host list is given to the migrations as the one URL of the host found primary: the schema
    // engine's connection is a session that must not move under it, and URL parsers (pg's, the
    // engine's) refuse a host list.
    forMigrations: async () => {
      const follower = followerFor(config.directUrl!);
      await follower?.ready();
      const own = reportLostConnections(new Pool({ connectionString: follower?.url ?? config.directUrl, max: 1 }));
      return { factory: postgresMigrationFactory(own), close: () => own.end() };
    },
    close: async () => {
      stopFollowers();
      await replicas?.close();
      await pool.end();
    },
  };
}
