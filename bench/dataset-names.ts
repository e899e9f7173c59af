// Where a data set lives, without loading anything: bench/explain-env.ts needs it before the
// server's modules (which read the environment when they load) are imported.

export const defaultAdminUrl = 'postgresql://postgres@127.0.0.1:5432/postgres';

export function defaultDatabaseName(scale: number): string {
  return `heroes_bench_${scale}`;
}

/** The URL of another database on the same server as `url`. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
