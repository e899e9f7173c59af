import { databaseUrl, defaultAdminUrl, defaultDatabaseName } from './dataset-names';

// bench/explain.ts runs the server in its own process, and the server's modules read the
// environment when they load (src/config.ts), some of them as early as bench/dataset.ts's
// migrations. Imported first, this points them at the data set's database before any of them loads.

const option = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const scale = Number(option('--scale') ?? 10_000);
const admin = databaseUrl(process.env.BENCH_DATABASE_URL ?? defaultAdminUrl, 'postgres');
process.env.DATABASE_URL = databaseUrl(admin, option('--database') ?? defaultDatabaseName(scale));
process.env.NODE_ENV = 'production';
// The bulk shape is a mutation, which production refuses to anonymous callers (viewers there).
process.env.ANONYMOUS_ROLE = 'admin';
