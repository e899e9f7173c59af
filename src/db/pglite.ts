import type { Extension, PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

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
