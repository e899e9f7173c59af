import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { Pool } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { config } from './config';
import { PrismaClient } from './generated/prisma/client';

export type QueryListener = (event: { query: string; params: string; duration: number }) => void;

interface Database {
  kind: 'postgresql' | 'pglite';
  factory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

function openDatabase(): Database {
  if (config.databaseUrl) {
    // One pool, shared by queries and migrations, so that closing it closes everything.
    const pool = new Pool({
      connectionString: config.databaseUrl,
      max: config.poolMax,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
    return { kind: 'postgresql', factory: new PrismaPg(pool), close: () => pool.end() };
  }
  // Opening PGlite creates its data folder and takes seconds, so it waits for the first query:
  // importing the schema (to print it, say) must not touch the database.
  let pglite: PGlite | undefined;
  let factory: PrismaPGlite | undefined;
  const open = () => (factory ??= new PrismaPGlite((pglite = new PGlite(config.dataDir))));
  return {
    kind: 'pglite',
    factory: {
      provider: 'postgres',
      adapterName: 'pglite-prisma-adapter',
      connect: () => open().connect(),
      connectToShadowDb: () => open().connectToShadowDb(),
    },
    close: async () => {
      await pglite?.close();
    },
  };
}

const database = openDatabase();

export const databaseKind = database.kind;

/** The driver adapter factory behind `prisma`; migrations run through the same one. */
export const adapterFactory = database.factory;

export const prisma = new PrismaClient({
  adapter: adapterFactory,
  log: [{ emit: 'event', level: 'query' }],
});

/** Disconnects Prisma and closes the pool or the embedded database. */
export async function closeDatabase(): Promise<void> {
  await prisma.$disconnect();
  await database.close();
}

const queryListeners = new Set<QueryListener>();

// Prisma's $on cannot be undone, so one listener fans out to subscribers that can be.
prisma.$on('query', (event) => {
  for (const listener of queryListeners) listener(event);
});

export function onQuery(listener: QueryListener): () => void {
  queryListeners.add(listener);
  return () => queryListeners.delete(listener);
}

if (config.logSql) {
  onQuery((event) => console.log(`[sql ${event.duration}ms] ${event.query} -- ${event.params}`));
}
