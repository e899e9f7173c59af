import { Client } from 'pg';
import { prisma, pruneChangeLog } from '../src/db';
import { heroId, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { itOnPostgres } from './support/postgres-only';
import { yoga } from '../src/graphql/yoga';

// The change log itself (migration change_log): its order is the order of commits, not of
// transaction ids; a rolled-back savepoint leaves nothing in it; pruning blocks no writer.

let teams: number[] = [];
let heroes: number[] = [];
let start = 0;

/** The log after `start`, in position order, as lines: kind and rows. */
async function logLines(): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ kind: string; rows: number[] }[]>`
    SELECT l."kind", l."rows" FROM "ChangeCommit" c JOIN "ChangeLog" l ON l."xid" = c."xid"
    WHERE c."position" > ${start} ORDER BY c."position", l."seq"`;
  return rows.map((row) => `${row.kind} ${row.rows.join(',')}`);
}

async function connect(): Promise<Client> {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  return client;
}

beforeEach(async () => {
  await resetDatabase();
  teams = await makeTeams(2);
  heroes = await makeHeroes(3);
  const [row] = await prisma.$queryRaw<
    { head: number }[]
  >`SELECT coalesce(max("position"), 0)::int AS head FROM "ChangeCommit"`;
  start = row!.head;
});

it('a rolled-back savepoint leaves nothing in the log; the rest of its transaction is one entry per statement', async () => {
  const [h1, h2, h3] = heroes as [number, number, number];
  const [t1] = teams as [number];
  await prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`INSERT INTO "HeroTeamLink" ("heroId", "teamId") VALUES (${h1}, ${t1})`);
    await tx.$executeRawUnsafe('SAVEPOINT undone');
    await tx.$executeRawUnsafe(`INSERT INTO "HeroTeamLink" ("heroId", "teamId") VALUES (${h2}, ${t1})`);
    await tx.$executeRawUnsafe('ROLLBACK TO SAVEPOINT undone');
    await tx.$executeRawUnsafe(
      `INSERT INTO "HeroTeamLink" ("heroId", "teamId", "isTraining") VALUES (${h3}, ${t1}, true)`,
    );
  });
  expect(await logLines()).toEqual([`LA ${h1},${t1},0`, `LA ${h3},${t1},1`]);
  const seqs = await prisma.$queryRaw<{ seq: number }[]>`
    SELECT l."seq" FROM "ChangeCommit" c JOIN "ChangeLog" l ON l."xid" = c."xid" WHERE c."position" > ${start} ORDER BY l."seq"`;
  expect(seqs.map((row) => row.seq)).toEqual([1, 2]);
  // One transaction, one position.
  expect(await prisma.$queryRaw`SELECT count(*)::int AS n FROM "ChangeCommit" WHERE "position" > ${start}`).toEqual([
    { n: 1 },
  ]);
});

itOnPostgres(
  'orders by commit, not by transaction id: a transaction that began first and committed last comes last',
  async () => {
    const [h1, h2] = heroes as [number, number];
    const [t1] = teams as [number];
    const [a, b] = [await connect(), await connect()];
    try {
      // A takes its transaction id first (it writes a hero), B then adds 1/1 and commits, A removes
      // 1/1 and commits. By transaction id, A's REMOVED would come before B's ADDED.
      await a.query('BEGIN');
      await a.query(`UPDATE "Hero" SET "age" = 99 WHERE id = $1`, [h2]);
      const { rows: xa } = await a.query(`SELECT pg_current_xact_id()::text::bigint AS xid`);
      await b.query('BEGIN');
      await b.query(`INSERT INTO "HeroTeamLink" ("heroId", "teamId") VALUES ($1, $2)`, [h1, t1]);
      const { rows: xb } = await b.query(`SELECT pg_current_xact_id()::text::bigint AS xid`);
      await b.query('COMMIT');
      await a.query(`DELETE FROM "HeroTeamLink" WHERE "heroId" = $1 AND "teamId" = $2`, [h1, t1]);
      await a.query('COMMIT');
      expect(BigInt(xa[0].xid)).toBeLessThan(BigInt(xb[0].xid));
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
    expect(await logLines()).toEqual([`LA ${h1},${t1},0`, `HU ${h2}`, `LR ${h1},${t1},0`]);
  },
);

itOnPostgres('pruning blocks no writer, and one server prunes at a time', async () => {
  const [h1] = heroes as [number];
  const [t1] = teams as [number];
  await prisma.$executeRaw`UPDATE "ChangeCommit" SET "committedAt" = "committedAt" - interval '2 days'`;
  const pruner = await connect();
  try {
    // A pruner in the middle of its work: its turn taken, old rows deleted, not committed.
    await pruner.query('BEGIN');
    await pruner.query('SELECT pg_advisory_xact_lock(7522537011516325890)');
    await pruner.query(`DELETE FROM "ChangeCommit" WHERE "committedAt" < now() - interval '1 day'`);
    // Another server's turn: nothing to do, at once.
    expect(await pruneChangeLog(86_400_000)).toBe(0);
    // A writer, through the API, meanwhile: not held up.
    const started = performance.now();
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }',
        variables: { h: heroId(h1), t: teamId(t1) },
      }),
    });
    expect((await response.json()).errors).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(5_000);
    await pruner.query('ROLLBACK');
  } finally {
    await pruner.end();
  }
  // Then the real thing: everything but the writer's transaction is older than a day.
  const [{ old }] = (await prisma.$queryRaw<{ old: number }[]>`
    SELECT count(*)::int AS old FROM "ChangeCommit" WHERE "committedAt" < now() - interval '1 day'`) as [
    { old: number },
  ];
  expect(await pruneChangeLog(86_400_000)).toBe(old);
  expect(await logLines()).toEqual([`LA ${h1},${t1},0`]);
});
