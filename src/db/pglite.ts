import { AsyncLocalStorage } from 'node:async_hooks';
import type { Extension, PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { config } from '../config';
import { OverloadedError } from '../errors/overload';
import { DrainRate } from '../ops/drain-rate';
import { currentRequest } from '../ops/request-tracking';
import { DataFolderLock } from './data-folder-lock';
import type { Database } from './database';
import { watchWrites } from './write-outcome';

// PGlite and its Prisma adapter are required where they are used, not imported: a server on
// PostgreSQL never loads them.

/**
 * Opens an embedded PGlite database (in `dataDir`, or in memory) with the extensions the
 * migrations create: pg_trgm, whose trigram indexes serve nameContains. Every PGlite of the
 * project (the server's, the scratch databases of migrations, tests and scripts) opens through
 * here, so the list lives in one place.
 */
export function openPGlite(dataDir?: string): PGlite {
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  // A subpath export, which TypeScript's "node" module resolution cannot see: typed by hand.
  const { pg_trgm } = require('@electric-sql/pglite/contrib/pg_trgm') as { pg_trgm: Extension };
  return new PGlite({ dataDir, extensions: { pg_trgm } });
}

/**
 * The driver adapter factory of a PGlite database. pglite-prisma-adapter's own opens the shadow
 * database the schema engine may ask for as a PGlite without extensions, where the migrations
 * cannot run: this one opens it through openPGlite.
 */
export function pgliteAdapterFactory(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const { PrismaPGlite } = require('pglite-prisma-adapter') as typeof import('pglite-prisma-adapter');
  const factory = new PrismaPGlite(pglite);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => factory.connect(),
    connectToShadowDb: () => new PrismaPGlite(openPGlite()).connect(),
  };
}

/**
 * Time spent by the embedded database (PGlite, which runs its WebAssembly PostgreSQL on this
 * thread) in its synchronous work, in ms since the process started: gatePGlite adds to it, and src/http/admission.ts reads it. The
 * server's own database work is not a stall of the event loop (EventLoopDelay leaves it out): a
 * burst of small queries on the embedded database keeps the loop late, and was refused as
 * overload though it was done in well under a second.
 */
let ownDatabaseMs = 0;

/** Counts `ms` of the embedded database's synchronous work. */
export function countDatabaseWork(ms: number): void {
  ownDatabaseMs += ms;
}

/** The embedded database's synchronous work so far, in ms. */
export function databaseWorkMs(): number {
  return ownDatabaseMs;
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
    drain.departed(line.length);
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
 * The embedded PGlite database of DATA_DIR (or in memory), opened at its first use: its data
 * folder's lock, its one session, the gate its statements wait at.
 */
export function pgliteDatabase(): Database {
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
