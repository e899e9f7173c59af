import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { databaseKind, prisma, withMigrationDatabase } from '../src/db';
import { applyMigrations, diffMigrationsToSchema, migrationsDir, readMigrations } from '../src/db/migrations';
import { openPGlite, pgliteAdapterFactory } from '../src/db/pglite';

// The test setup has applied the committed migrations to this file's database, as `npm start` does.

describe('migrations', () => {
  it('are recorded in _prisma_migrations as `prisma migrate deploy` records them', async () => {
    const names = readMigrations().migrationDirectories.map((dir) => dir.path);
    expect(names.length).toBeGreaterThan(0);
    const rows = await prisma.$queryRaw<
      { migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }[]
    >`SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`;
    expect(rows.map((row) => row.migration_name)).toEqual(names);
    for (const row of rows) {
      const sql = readFileSync(path.join(migrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).not.toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('leave no migration lock held once done, so another server can migrate meanwhile', async () => {
    const locks = await prisma.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM pg_locks
      WHERE locktype = 'advisory' AND pid <> pg_backend_pid()
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
    expect(locks[0]?.count).toBe(0);
  });

  it('apply nothing the second time', async () => {
    expect(await withMigrationDatabase(applyMigrations)).toEqual([]);
  });

  it('build exactly the tables schema.prisma describes (no drift)', async () => {
    if (databaseKind === 'pglite') {
      // Diffs this very database, migrated, against the Prisma schema.
      expect(await withMigrationDatabase((database) => diffMigrationsToSchema({ database }))).toBe('');
      return;
    }
    // The engine cannot introspect PostgreSQL through @prisma/adapter-pg ("Column type 'char' could
    // not be deserialized"), so: no drift on a scratch PGlite, and this database's catalog is that one's.
    expect(await diffMigrationsToSchema()).toBe('');
    const scratch = openPGlite();
    await applyMigrations(pgliteAdapterFactory(scratch));
    const expected = (await scratch.query<Record<string, unknown>>(catalogSql)).rows;
    await scratch.close();
    expect(await prisma.$queryRawUnsafe(catalogSql)).toEqual(expected);
    // Two schema-engine diffs and a scratch database: 20 s on a loaded 2-core machine.
  }, 90_000);

  it('produce the next migration from schema.prisma when one is missing', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    const sql = await diffMigrationsToSchema({ dir: empty });
    expect(sql).toContain('CREATE TABLE "HeroTeamLink"');
    expect(sql).toContain('ON DELETE CASCADE');
  });

  it("fill the teams' counters from the links that exist when they are added", async () => {
    // The migrations before the counters, some links, then the rest.
    const names = readMigrations().migrationDirectories.map((dir) => dir.path);
    const counters = names.findIndex((name) => name.endsWith('_team_hero_counts'));
    expect(counters).toBeGreaterThan(0);
    const before = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    cpSync(path.join(migrationsDir, 'migration_lock.toml'), path.join(before, 'migration_lock.toml'));
    for (const name of names.slice(0, counters)) {
      cpSync(path.join(migrationsDir, name), path.join(before, name), { recursive: true });
    }
    const scratch = openPGlite();
    try {
      await applyMigrations(pgliteAdapterFactory(scratch), before);
      await scratch.exec(`
        INSERT INTO "Team" (name, headquarters) VALUES ('A', 'a'), ('B', 'b'), ('C', 'c');
        INSERT INTO "Hero" (name, "secretName") SELECT 'h' || g, 's' FROM generate_series(1, 5) g;
        INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining")
        SELECT t, h, h % 2 = 0 FROM generate_series(1, 2) t, generate_series(1, t + 2) h;`);
      expect(await applyMigrations(pgliteAdapterFactory(scratch))).toEqual(names.slice(counters));
      const { rows } = await scratch.query<{ id: number; heroCount: number; trainingHeroCount: number }>(
        'SELECT id, "heroCount", "trainingHeroCount" FROM "Team" ORDER BY id',
      );
      expect(rows).toEqual([
        { id: 1, heroCount: 3, trainingHeroCount: 1 },
        { id: 2, heroCount: 4, trainingHeroCount: 2 },
        { id: 3, heroCount: 0, trainingHeroCount: 0 },
      ]);
    } finally {
      await scratch.close();
    }
  });

  it('give HeroTeamLink its composite key, the reverse index and cascading foreign keys', async () => {
    const indexes = await prisma.$queryRaw<{ indexdef: string }[]>`
      SELECT indexdef FROM pg_indexes WHERE tablename = 'HeroTeamLink' ORDER BY indexname`;
    expect(indexes.map((i) => i.indexdef.replace(/^.* USING /, ''))).toEqual([
      'btree ("heroId", "joinedAt", "teamId")',
      'btree ("heroId", "teamId")',
      'btree ("teamId", "heroId")',
      'btree ("teamId", "joinedAt", "heroId")',
    ]);
    const foreignKeys = await prisma.$queryRaw<{ definition: string }[]>`
      SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint
      WHERE conrelid = '"HeroTeamLink"'::regclass AND contype = 'f' ORDER BY conname`;
    expect(foreignKeys.map((fk) => fk.definition)).toEqual([
      'FOREIGN KEY ("heroId") REFERENCES "Hero"(id) ON UPDATE CASCADE ON DELETE CASCADE',
      'FOREIGN KEY ("teamId") REFERENCES "Team"(id) ON UPDATE CASCADE ON DELETE CASCADE',
    ]);
  });
});

/** Columns, constraints and indexes of the public tables, in a form both servers print alike. */
const catalogSql = `
  SELECT 'column' AS kind, table_name::text AS "table",
         column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS definition
  FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL
  SELECT 'constraint', conrelid::regclass::text, conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype <> 'n'
  UNION ALL
  SELECT 'index', tablename::text, indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL
  SELECT 'trigger', tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT 'function', proname::text, md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  ORDER BY 1, 2, 3`;
