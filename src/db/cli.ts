import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closeDatabase, databaseKind, openDatabase } from '.';
import { DataFolderInUseError } from './data-folder-lock';
import { diffMigrationsToSchema, migrationsDir } from './migrations';
import { prepareDatabase } from './prepare';

const usage = `Usage: tsx src/db/cli.ts <command>
  migrate         apply pending migrations to the configured database (DATABASE_URL, or PGlite in DATA_DIR)
  seed            load the sample heroes and teams if the database is empty
  create <name>   write the next migration: what schema.prisma adds to prisma/migrations
  drift           exit 1 when schema.prisma and prisma/migrations disagree`;

function timestamp(): string {
  return new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

async function main(command: string | undefined, arg: string | undefined): Promise<number> {
  switch (command) {
    case 'migrate': {
      openDatabase();
      const { applied } = await prepareDatabase({ seed: false });
      console.log(applied.length ? `Applied to ${databaseKind}: ${applied.join(', ')}` : `${databaseKind}: up to date`);
      return 0;
    }
    case 'seed': {
      openDatabase();
      const { seeded } = await prepareDatabase({ seed: true });
      console.log(seeded ? 'Loaded the sample data' : 'The database has data already: left as it is');
      return 0;
    }
    case 'create': {
      if (!arg || !/^[a-z0-9_]+$/.test(arg)) {
        console.error('Name the migration in snake_case, e.g. `npm run db:migration:create -- add_power`');
        return 2;
      }
      const sql = await diffMigrationsToSchema();
      if (!sql) {
        console.log('schema.prisma and prisma/migrations agree: no migration to create');
        return 0;
      }
      const dir = path.join(migrationsDir, `${timestamp()}_${arg}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'migration.sql'), sql);
      console.log(`Wrote ${path.relative(process.cwd(), dir)}/migration.sql:\n\n${sql}`);
      return 0;
    }
    case 'drift': {
      const sql = await diffMigrationsToSchema();
      if (sql) {
        console.error(`schema.prisma differs from prisma/migrations; the next migration would be:\n\n${sql}`);
        return 1;
      }
      console.log('No drift: the migrations build exactly what schema.prisma describes');
      return 0;
    }
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv[2], process.argv[3])
  .then(async (code) => {
    await closeDatabase();
    process.exit(code);
  })
  .catch((error: unknown) => {
    console.error(error instanceof DataFolderInUseError ? error.message : error);
    process.exit(1);
  });
