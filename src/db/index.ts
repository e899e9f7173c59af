import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { ArgType, SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { Pool, type PoolClient, type QueryResult } from 'pg';
import { config } from '../config';
import { DataFolderLock } from './data-folder-lock';
import { databaseFailure, DatabaseUnreachableError } from './failures';
import { postgresMigrationFactory } from './migrations';
import { openPGlite, pgliteAdapterFactory } from './pglite';
import { type ReadOn, type ReadTarget, ReplicaRouter } from './replica-routing';
import { watchWrites } from './write-outcome';
import { countDatabaseWork, DrainRate, OverloadedError } from '../http/admission';
import { logger } from '../ops/logger';
import type { PoolStats } from '../ops/metrics';
import { countStatement, currentRequest } from '../ops/request-tracking';
import { type Prisma, PrismaClient } from '../generated/prisma/client';

/**
 * A statement sent, as onQuery listeners get it. `named`: a read that asks to be a named prepared
 * statement, which PostgreSQL may run with a generic plan, made once for any values (PGlite, and
 * PG_PREPARED_STATEMENTS=0, send it unnamed all the same); false for statements planned for their
 * values every time (Prisma Client's, and reads with planPerValue).
 */
export interface QueryEvent {
  query: string;
  params: string;
  duration: number;
  named: boolean;
}

export type QueryListener = (event: QueryEvent) => void;

/** Rows of a read: each row is the array of its values, in the order of `columnNames`. */
export interface Values {
  columnNames: string[];
  rows: unknown[][];
}

interface Database {
  kind: 'postgresql' | 'pglite';
  /**
   * Reads rows straight from a pool, as named prepared statements or unnamed, on the primary or a
   * read replica (PostgreSQL only).
   */
  read?: (text: string, values: unknown[], named: boolean, target: ReadTarget) => Promise<Values>;
  /** The pool's connections and waiters (PostgreSQL only). */
  poolStats?: () => PoolStats;
  /** The read replicas (DATABASE_READ_URL): their background checks and their states. */
  replicas?: ReplicaRouter;
  /** Listens on a channel of the embedded database's one session (PGlite only); resolves to its end. */
  listen?: (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>;
  /** Opens what can be opened before the first query: the embedded database and its folder's lock. */
  open(): void;
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** A factory for the schema engine, with a close of its own (see withMigrationDatabase). */
  forMigrations(): { factory: SqlMigrationAwareDriverAdapterFactory; close(): Promise<void> };
  close(): Promise<void>;
}

/**
 * An idle connection that dies (PostgreSQL restarted, network cut) emits 'error' on its pool;
 * unhandled, that would crash the process. The pool replaces it on the next checkout.
 */
function reportLostConnections(pool: Pool, server = 'PostgreSQL'): Pool {
  pool.on('error', (error) => logger.error(`${server} connection lost: ${error.message}`));
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
        drain.departed();
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
 * The embedded database's one connection, waited for as a pool's: PGlite runs one statement (or
 * transaction) at a time and queues the rest, without bound. Its queue is held here instead, in
 * order of arrival: a call that the measured drain rate says would not start within `timeoutMs`
 * is refused at once, and one that waited that long is refused then (OverloadedError: 503
 * OVERLOADED); work outside requests waits its turn without a deadline. Transactions take the connection for their whole length; what runs inside one
 * goes through its own handle, not through here, and so do PGlite's own calls within a call. Also counts the time PGlite spends in its
 * synchronous WebAssembly work (countDatabaseWork): the server's own database work, which the
 * event-loop bound leaves out.
 */
export function gatePGlite(pglite: PGlite, timeoutMs: number): void {
  let busy = false;
  const line: { start(): void; timer?: NodeJS.Timeout }[] = [];
  const drain = new DrainRate(Math.max(1_000, timeoutMs));
  const next = () => {
    const waiter = line.shift();
    if (!waiter) {
      busy = false;
      return;
    }
    clearTimeout(waiter.timer);
    drain.departed();
    waiter.start();
  };
  // PGlite calls its own query() while it starts (to learn the array types), which the first
  // calls wait for, and may from within a call: those pass.
  let ready = false;
  pglite.waitReady.then(
    () => (ready = true),
    () => undefined,
  );
  const holding = new AsyncLocalStorage<true>();
  const gate = <Args extends unknown[], Result>(method: (...args: Args) => Promise<Result>) =>
    function (...args: Args): Promise<Result> {
      if (!ready || holding.getStore()) return method.apply(pglite, args);
      const run = () => {
        let ran: Promise<Result>;
        try {
          ran = holding.run(true, () => method.apply(pglite, args));
        } catch (error) {
          ran = Promise.reject(error);
        }
        return ran.finally(next);
      };
      if (!busy) {
        busy = true;
        return run();
      }
      // Work outside requests (migrations and the seed at start, LISTEN) waits its turn without a
      // deadline, as it did in PGlite's own queue: a migration may hold the connection for seconds.
      const request = currentRequest() !== undefined;
      const expected = request ? drain.waitMs(line.length) : null;
      if (expected !== null && expected > timeoutMs) {
        return Promise.reject(
          new OverloadedError(
            `about ${Math.round(expected)} ms of wait expected for the embedded database (${line.length} statements waiting), PG_CONNECT_TIMEOUT_MS=${timeoutMs}`,
          ),
        );
      }
      return new Promise<Result>((resolve, reject) => {
        const waiter: { start(): void; timer?: NodeJS.Timeout } = {
          start: () => void run().then(resolve, reject),
        };
        if (request) {
          waiter.timer = setTimeout(() => {
            line.splice(line.indexOf(waiter), 1);
            reject(new OverloadedError(`no turn on the embedded database within PG_CONNECT_TIMEOUT_MS=${timeoutMs}`));
          }, timeoutMs);
        }
        line.push(waiter);
      });
    };
  const gated = pglite as unknown as Record<'query' | 'exec' | 'transaction', (...args: unknown[]) => Promise<unknown>>;
  for (const name of ['query', 'exec', 'transaction'] as const) gated[name] = gate(gated[name].bind(pglite));
  const sync = pglite as unknown as { execProtocolRawSync?: (...args: unknown[]) => unknown };
  const execSync = sync.execProtocolRawSync;
  if (typeof execSync === 'function') {
    sync.execProtocolRawSync = function (...args: unknown[]) {
      const started = performance.now();
      try {
        return execSync.apply(pglite, args);
      } finally {
        countDatabaseWork(performance.now() - started);
      }
    };
  }
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
 * The name a statement is prepared under: a hash of its text, so that every connection gives the
 * same text the same name. Names are remembered for the texts seen last (a loader's text varies
 * with the page size, filters and so on, and there are a few hundred such texts at most in use).
 */
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= 1000) statementNames.clear();
    name = `r_${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    statementNames.set(text, name);
  }
  return name;
}

function valuesOf(result: QueryResult<unknown[]>): Values {
  return { columnNames: result.fields.map((field) => field.name), rows: result.rows };
}

/** The statements each connection has prepared, by name, least recently used first. */
const preparedOn = new WeakMap<PoolClient, Set<string>>();

/** What pg knows of a connection's named statements (it parses a name once per connection). */
interface ParsedStatements {
  connection: { parsedStatements: Record<string, string>; submittedNamedStatements: Record<string, string> };
}

/**
 * Closes a named statement with the protocol's Close message (a custom query of pg's, as pg-cursor
 * is one), not with SQL's DEALLOCATE: PgBouncer 1.21 and later, with max_prepared_statements, map
 * the statement names of protocol messages to its sessions' own, but pass a DEALLOCATE on as it
 * is, naming a statement that its session does not have (pgbouncer/pgbouncer#991). Closing a name
 * that does not exist is no error.
 */
class CloseStatement {
  /** Set before the query is sent: pg wraps it with its query_timeout. */
  callback?: (error: Error | null) => void;
  private done = false;

  constructor(private readonly name: string) {}

  submit(connection: { close(message: { type: 'S'; name: string }): void; sync(): void }): void {
    connection.close({ type: 'S', name: this.name });
    connection.sync();
  }

  handleError(error: Error): void {
    this.finish(error);
  }

  handleReadyForQuery(): void {
    this.finish(null);
  }

  private finish(error: Error | null): void {
    if (this.done) return;
    this.done = true;
    this.callback?.(error);
  }
}

function closeStatement(client: PoolClient, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const close = new CloseStatement(name);
    close.callback = (error) => (error ? reject(error) : resolve());
    client.query(close as unknown as Parameters<PoolClient['query']>[0]);
  });
}

/**
 * Runs a read as a named prepared statement: PostgreSQL parses and plans it once per connection
 * (after five runs it keeps a generic plan when that costs no more than the custom ones), instead
 * of on every request as unnamed statements are. Each connection keeps at most `perConnection`
 * of them; the least recently used one is deallocated to make room.
 */
export async function readPrepared(
  pool: Pool,
  text: string,
  values: unknown[],
  perConnection = config.preparedStatements,
): Promise<Values> {
  const client = await pool.connect();
  // As pg's pool.query does: a connection that breaks while checked out emits 'error' (unheard, it
  // would end the process), and a connection that failed a statement is not reused.
  let released = false;
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    client.removeListener('error', release);
    client.release(error);
  };
  client.once('error', release);
  try {
    const name = statementName(text);
    let prepared = preparedOn.get(client);
    if (!prepared) preparedOn.set(client, (prepared = new Set()));
    if (prepared.delete(name)) {
      prepared.add(name);
    } else {
      if (prepared.size >= perConnection) {
        const oldest = prepared.values().next().value!;
        prepared.delete(oldest);
        const { parsedStatements, submittedNamedStatements } = (client as unknown as ParsedStatements).connection;
        if (parsedStatements[oldest] !== undefined) {
          delete parsedStatements[oldest];
          delete submittedNamedStatements[oldest];
          await closeStatement(client, oldest);
        }
      }
      prepared.add(name);
    }
    const result = await client.query<unknown[]>({ name, text, values, rowMode: 'array' });
    release();
    return valuesOf(result);
  } catch (error) {
    release(error as Error);
    throw error;
  }
}

/** Runs a read as an unnamed statement: PostgreSQL plans it for these values, every time. */
async function readUnnamed(pool: Pool, text: string, values: unknown[]): Promise<Values> {
  return valuesOf(await pool.query<unknown[]>({ text, values, rowMode: 'array' }));
}

/**
 * A pool of PG_POOL_MAX connections to `url`. Fail fast when the server is away or the pool is
 * exhausted, instead of queueing forever.
 */
function queryPool(url: string, server?: string): Pool {
  return boundWaiting(
    explainWaits(
      reportLostConnections(
        new Pool({
          connectionString: url,
          max: config.poolMax,
          connectionTimeoutMillis: config.connectTimeoutMs,
          idleTimeoutMillis: 30_000,
          statement_timeout: config.statementTimeoutMs,
          query_timeout: config.statementTimeoutMs + 1_000,
        }),
        server,
      ),
    ),
    config.poolMaxWaiting,
    config.connectTimeoutMs,
    config.poolMax,
  );
}

/** A loader's read on `pool`: named when it asks to be and PG_PREPARED_STATEMENTS allows, else unnamed. */
const readOn: ReadOn = (pool, text, values, named) =>
  named && config.preparedStatements > 0 ? readPrepared(pool, text, values) : readUnnamed(pool, text, values);

function createDatabase(): Database {
  if (config.databaseUrl) {
    // One pool for every query (migrations take a connection of their own: withMigrationDatabase).
    const pool = queryPool(config.databaseUrl);
    // Replicas get pools of their own, made the same way (src/db/replica-routing.ts).
    const replicas =
      config.replicaUrls.length > 0
        ? new ReplicaRouter({
            primary: pool,
            primaryUrl: config.databaseUrl,
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
        ? (text, values, named, target) => replicas.read(target, text, values, named)
        : config.preparedStatements > 0
          ? (text, values, named) => readOn(pool, text, values, named)
          : undefined,
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
      forMigrations: () => {
        const own = reportLostConnections(new Pool({ connectionString: config.directUrl, max: 1 }));
        return { factory: postgresMigrationFactory(own), close: () => own.end() };
      },
      close: async () => {
        await replicas?.close();
        await pool.end();
      },
    };
  }
  // Opening PGlite creates its data folder and takes seconds, so it waits for the first query:
  // importing the schema (to print it, say) must not touch the database.
  let pglite: PGlite | undefined;
  let opened: SqlMigrationAwareDriverAdapterFactory | undefined;
  let lock: DataFolderLock | undefined;
  // Opened here, not at import: a server on PostgreSQL never loads PGlite (src/db/pglite.ts).
  const open = () => {
    if (opened) return opened;
    // Before PGlite touches the folder: a second process on it would corrupt it.
    if (!config.dataDir.startsWith('memory://')) lock = DataFolderLock.acquire(config.dataDir);
    pglite = openPGlite(config.dataDir);
    gatePGlite(pglite, config.connectTimeoutMs);
    opened = pgliteAdapterFactory(pglite);
    return opened;
  };
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: 'postgres',
    adapterName: 'pglite-prisma-adapter',
    connect: () => open().connect(),
    connectToShadowDb: () => open().connectToShadowDb(),
  };
  // Queries go through an adapter that stops the embedded database at a PANIC or when its folder
  // is gone (src/db/write-outcome.ts); migrations run at start-up, before any query, on the plain one.
  const watched = watchWrites(factory, {
    embedded: { dataDir: config.dataDir.startsWith('memory://') ? null : config.dataDir },
  });
  return {
    kind: 'pglite',
    open: () => void open(),
    listen: async (channel, onPayload) => {
      open();
      return pglite!.listen(channel, onPayload);
    },
    factory: watched,
    // One process, one session: the engine shares it, and its lock blocks no one else.
    forMigrations: () => ({ factory, close: async () => undefined }),
    close: async () => {
      await pglite?.close();
      lock?.release();
    },
  };
}

const database = createDatabase();

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
  const own = database.forMigrations();
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

const queryListeners = new Set<QueryListener>();

function emitQuery(event: QueryEvent): void {
  for (const listener of queryListeners) listener(event);
}

// Prisma's $on cannot be undone, so one listener fans out to subscribers that can be. Every
// statement Prisma Client sends (the writes) counts against the request that sent it, as the reads
// of readValues do.
prisma.$on('query', (event) => {
  countStatement(event.query, event.params, event.duration);
  emitQuery({ query: event.query, params: event.params, duration: event.duration, named: false });
});

let reader: Promise<SqlDriverAdapter> | undefined;

export interface ReadOptions {
  /**
   * Where the read goes (src/db/replica-routing.ts): a read replica when one is fit, or the
   * primary. The primary unless asked: only reads that may see a replica's lag ask for one.
   */
  target?: ReadTarget;
  /**
   * Plan the statement for its values on every run: sent unnamed on PostgreSQL, instead of as a
   * named prepared statement whose generic plan, made once for any values, would stick. For
   * statements whose best plan depends on a value (a nameContains text: see CompiledFilter).
   */
  planPerValue?: boolean;
}

/**
 * Reads rows without Prisma Client's decoding of raw results: for the 6,000 rows of a link page that
 * took 13.5 ms through `$queryRaw` against 8.6 ms in `pg` itself. On PostgreSQL, straight from the
 * pool as a named prepared statement (readPrepared), with pg's own parsing of values (the same as
 * the driver adapter's for what the loaders read: int4, text, bool, float8), or from a read
 * replica's pool (`target`); on PGlite, through the driver adapter behind `prisma`. For the hot read paths (loaders); writes stay with Prisma Client.
 * The statements are reported to `onQuery` listeners like Prisma's own. Each row is the array of
 * its values, in the order of `columnNames`. `planPerValue` sends it unnamed (see ReadOptions).
 */
export async function readValues(query: Prisma.Sql, options: ReadOptions = {}): Promise<Values> {
  const args = query.values;
  const started = performance.now();
  const named = !options.planPerValue;
  const result = await send(query.text, args, named, options.target ?? 'primary');
  const duration = performance.now() - started;
  countStatement(query.text, args, duration);
  if (queryListeners.size > 0) emitQuery({ query: query.text, params: JSON.stringify(args), duration, named });
  return result;
}

async function send(text: string, args: unknown[], named: boolean, target: ReadTarget = 'primary'): Promise<Values> {
  if (database.read) return database.read(text, args, named, target);
  const adapter = await (reader ??= adapterFactory.connect());
  const argTypes: ArgType[] = args.map((value) => ({
    scalarType: 'unknown',
    arity: Array.isArray(value) ? 'list' : 'scalar',
  }));
  return adapter.queryRaw({ sql: text, args, argTypes });
}

/**
 * Runs a statement of the server's own about a request (src/explain.ts: EXPLAIN), unnamed, by the
 * read path: not counted against the request nor reported to `onQuery` listeners, since the
 * request did not send it.
 */
export function readAside(text: string, args: unknown[]): Promise<Values> {
  return send(text, args, false);
}

/** Rows as objects keyed by column name (see readValues). */
export async function readRows<Row>(query: Prisma.Sql, options: ReadOptions = {}): Promise<Row[]> {
  const { columnNames, rows } = await readValues(query, options);
  return rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columnNames.length; i++) row[columnNames[i]!] = values[i];
    return row as Row;
  });
}

export function onQuery(listener: QueryListener): () => void {
  queryListeners.add(listener);
  return () => queryListeners.delete(listener);
}

if (config.logSql) {
  onQuery((event) =>
    logger.info(
      { sql: event.query, params: event.params, durationMs: Math.round(event.duration * 1000) / 1000 },
      'sql',
    ),
  );
}
