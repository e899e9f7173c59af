import type { Client } from 'pg';

// Tests that run on one database only, and tests that need something this machine may lack (a
// browser, a recent PgBouncer, relay-compiler's binary). Nothing is skipped without a line saying
// so, and under CI (CI=true, which .ci/run sets) nothing is skipped at all: a block that cannot run
// fails, naming what it lacks.
//
// A PostgreSQL-only block belongs to the postgresql project (jest.config.js), which exists when
// TEST_DATABASE_URL is set; the pglite project then leaves it out, as the postgresql project leaves
// out the PGlite-only blocks. Without TEST_DATABASE_URL no one runs it: it is skipped with a line,
// or fails under CI.

declare const DATABASE_MODE: 'pglite' | 'postgresql';

/** Whether this run is CI's: CI set, and not to "false" or "0". */
export const underCi = !!process.env.CI && !/^(false|0)$/i.test(process.env.CI);

type Body = () => void;

/** A test (or block) that cannot run here, for `reason`: skipped, saying why, or under CI failed. */
function cannotRun(kind: 'describe' | 'it', name: string, body: Body | (() => Promise<unknown>), reason: string) {
  if (underCi) {
    const fail = () => {
      throw new Error(`${reason} (under CI nothing may be skipped)`);
    };
    if (kind === 'describe') describe(name, () => it('runs', fail));
    else it(name, fail);
    return;
  }
  process.stderr.write(`Skipped, ${reason}: ${expect.getState().testPath ?? ''} ${name}\n`);
  if (kind === 'describe') describe.skip(name, body as Body);
  else it.skip(name, body);
}

const postgresMissing = 'PostgreSQL-only and TEST_DATABASE_URL is not set';

/** describe for a block that needs PostgreSQL (sessions that race, a pool, another connection). */
export function describeOnPostgres(name: string, body: Body): void {
  if (DATABASE_MODE === 'postgresql') describe(name, body);
  else if (!process.env.TEST_DATABASE_URL) cannotRun('describe', name, body, postgresMissing);
}

/** it for a test that needs PostgreSQL. */
export function itOnPostgres(name: string, body: () => Promise<unknown>, timeout?: number): void {
  if (DATABASE_MODE === 'postgresql') it(name, body, timeout);
  else if (!process.env.TEST_DATABASE_URL) cannotRun('it', name, body, postgresMissing);
}

/**
 * describe for a block that runs once, in the pglite project: what it checks does not depend on
 * the database (server processes on an in-memory PGlite, say).
 */
export function describeOnPGlite(name: string, body: Body): void {
  if (DATABASE_MODE === 'pglite') describe(name, body);
}

/** describe, or when `missing` names what this machine lacks, skipped saying so (failed under CI). */
export function describeIfAble(missing: string | null, name: string, body: Body): void {
  if (missing === null) describe(name, body);
  else cannotRun('describe', name, body, missing);
}

/** it, or when `missing` names what this machine lacks, skipped saying so (failed under CI). */
export function itIfAble(missing: string | null, name: string, body: () => Promise<unknown>, timeout?: number): void {
  if (missing === null) it(name, body, timeout);
  else cannotRun('it', name, body, missing);
}

/** Waits until `count` statements of this database wait for a lock (the writes under test). */
export async function waitUntilBlocked(other: Client, count = 1): Promise<void> {
  // In a transaction, activity is read from a snapshot taken once: clear it every time.
  for (const deadline = Date.now() + 15_000; ;) {
    await other.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await other.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0]!.waiting >= count) return;
    if (Date.now() > deadline) throw new Error('the write never waited for a lock');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
