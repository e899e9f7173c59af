import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { config } from './config';
import { PrismaClient } from './generated/prisma/client';

export type QueryListener = (event: { query: string; params: string; duration: number }) => void;

function createAdapterFactory(): SqlMigrationAwareDriverAdapterFactory {
  if (config.databaseUrl) {
    return new PrismaPg({
      connectionString: config.databaseUrl,
      max: config.poolMax,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
  }
  return new PrismaPGlite(new PGlite(config.dataDir));
}

export const databaseKind: 'postgresql' | 'pglite' = config.databaseUrl ? 'postgresql' : 'pglite';

/** The driver adapter factory behind `prisma`; migrations run through the same one. */
export const adapterFactory = createAdapterFactory();

export const prisma = new PrismaClient({
  adapter: adapterFactory,
  log: [{ emit: 'event', level: 'query' }],
});

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
