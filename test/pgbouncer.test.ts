import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { CHANGES_CHANNEL } from '../src/realtime/events';
import { keepsPreparedStatements, type PgBouncer, pgbouncerVersion, startPgBouncer } from './support/pgbouncer';
import { itIfAble } from './support/postgres-only';
import { type ServerProcess, startServer } from './support/server-process';
import { type Subscription, subscribeSse } from './support/sse';

// PostgreSQL only (see jest.config.js): the server through a PgBouncer of the test's own in
// transaction pooling mode, with fewer server connections (POOL_SIZE) than the server's pool opens
// to it, so that consecutive transactions of one client connection run on different PostgreSQL
// sessions. Nothing may rely on a session: the migrations' advisory lock is taken on
// DATABASE_DIRECT_URL, the LISTEN connection goes there too (DATABASE_LISTEN_URL's default), and
// reads are sent unnamed (PG_PREPARED_STATEMENTS=0) unless PgBouncer keeps named statements
// (1.21 and later, max_prepared_statements). The database starts empty: the server migrates it.

const POOL_SIZE = 2;
const migrations = readdirSync(path.resolve(__dirname, '../prisma/migrations'), { withFileTypes: true }).filter(
  (entry) => entry.isDirectory(),
).length;

let admin: Client;
let bouncer: PgBouncer;
let directUrl: string;
let server: ServerProcess;
const open: Subscription<unknown>[] = [];

async function post(query: string, variables: Record<string, unknown> = {}, on = server) {
  const response = await fetch(`${on.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: unknown[] } };
}

async function ok(query: string, variables: Record<string, unknown> = {}, on = server) {
  const { status, body } = await post(query, variables, on);
  expect(body.errors).toBeUndefined();
  expect(status).toBe(200);
  return body.data;
}

const databaseName = () => new URL(directUrl).pathname.slice(1);

/** Advisory locks held in the test's database, by any session (PgBouncer's included). */
async function advisoryLocks(): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
     WHERE l.locktype = 'advisory' AND d.datname = $1`,
    [databaseName()],
  );
  return rows[0]!.n;
}

function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: bouncer.url(directUrl),
    DATABASE_DIRECT_URL: directUrl,
    PG_PREPARED_STATEMENTS: '0',
    // More connections to PgBouncer than it has to PostgreSQL.
    PG_POOL_MAX: '10',
    MIGRATE_ON_START: 'true',
    ...extra,
  };
}

beforeAll(async () => {
  admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `${url.pathname}_bouncer`;
  directUrl = url.toString();
  await admin.query(`CREATE DATABASE "${databaseName()}"`);
  bouncer = await startPgBouncer({ poolSize: POOL_SIZE });
  server = await startServer(serverEnv({ LOG_LEVEL: 'info' }));
}, 90_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((subscription) => subscription.close()));
});

afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  await bouncer?.stop();
  if (directUrl) await admin.query(`DROP DATABASE IF EXISTS "${databaseName()}" WITH (FORCE)`);
  await admin?.end();
});

describe('migrations', () => {
  it('are applied on the direct connection, which leaves no advisory lock behind', async () => {
    expect(server.output()).toMatch(/Applied migrations: 20261122000000_init/);
    const direct = new Client({ connectionString: directUrl });
    await direct.connect();
    const { rows } = await direct
      .query<{ n: number }>('SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL')
      .finally(() => direct.end());
    expect(rows[0]!.n).toBe(migrations);
    expect(await advisoryLocks()).toBe(0);
  });

  it('a second server migrating the same database starts (no lock held by a pooled session)', async () => {
    const second = await startServer(serverEnv());
    try {
      expect(second.output()).not.toMatch(/Applied migrations/);
      expect(await ok('{ teams { totalCount } }', {}, second)).toEqual({ teams: { totalCount: 2 } });
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
    expect(await advisoryLocks()).toBe(0);
  }, 90_000);
});

describe('queries and mutations', () => {
  it('reads the seeded data through the link, three levels deep', async () => {
    const data = await ok(`{
      teams(first: 5, orderBy: { field: ID }) { totalCount edges { node { name
        heroes(first: 10, orderBy: { field: ID }) { totalCount edges { node { name
          teams(first: 5, orderBy: { field: ID }) { edges { node { name } } } } } } } } } }`);
    expect(data.teams.totalCount).toBe(2);
    expect(data.teams.edges.map((edge: any) => edge.node.name)).toEqual(['Preventers', 'Z-Force']);
    const preventers = data.teams.edges[0].node.heroes;
    expect(preventers.totalCount).toBeGreaterThan(0);
    expect(preventers.edges[0].node.teams.edges.length).toBeGreaterThan(0);
  });

  it('creates, updates and links in transactions, and a bulk mutation adds 100 heroes at once', async () => {
    const team = (
      await ok('mutation { createTeam(input: { name: "Bouncers", headquarters: "Port 6432" }) { team { id } } }')
    ).createTeam.team.id as string;
    const heroes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const data = await ok(
        'mutation ($name: String!) { createHero(input: { name: $name, secretName: "Pooled" }) { hero { id } } }',
        { name: `Bouncer ${i}` },
      );
      heroes.push(data.createHero.hero.id as string);
    }
    const updated = await ok('mutation ($id: ID!) { updateHero(input: { id: $id, age: 42 }) { hero { age } } }', {
      id: heroes[0],
    });
    expect(updated.updateHero.hero.age).toBe(42);

    const added = await ok(
      `mutation ($input: AddHeroesToTeamInput!) {
        addHeroesToTeam(input: $input) { added team { heroes(first: 1) { totalCount } } } }`,
      { input: { teamId: team, heroes: heroes.map((id, i) => ({ heroId: id, isTraining: i % 2 === 0 })) } },
    );
    expect(added.addHeroesToTeam).toEqual({ added: 100, team: { heroes: { totalCount: 100 } } });

    const removed = await ok(
      `mutation ($input: RemoveHeroesFromTeamInput!) { removeHeroesFromTeam(input: $input) { removed } }`,
      { input: { teamId: team, heroIds: heroes.slice(0, 40) } },
    );
    expect(removed.removeHeroesFromTeam.removed).toBe(40);
    const count = await ok('query ($id: ID!) { team(id: $id) { heroes { totalCount } } }', { id: team });
    expect(count.team.heroes.totalCount).toBe(60);
  }, 60_000);

  it(`answers ${60} concurrent reads and writes over ${POOL_SIZE} PostgreSQL sessions`, async () => {
    const team = (await ok('mutation { createTeam(input: { name: "Crowd", headquarters: "Queue" }) { team { id } } }'))
      .createTeam.team.id as string;
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        post(
          'mutation ($name: String!, $team: ID!) { createHero(input: { name: $name, secretName: "Q", teams: [{ teamId: $team }] }) { hero { id } } }',
          {
            name: `Crowd ${i}`,
            team,
          },
        ),
      ),
    );
    const reads = await Promise.all(
      Array.from({ length: 30 }, () =>
        post('query ($id: ID!) { team(id: $id) { heroes(first: 50) { totalCount edges { node { name } } } } }', {
          id: team,
        }),
      ),
    );
    for (const answer of [...created, ...reads]) {
      expect(answer.body.errors).toBeUndefined();
      expect(answer.status).toBe(200);
    }
    const after = await ok('query ($id: ID!) { team(id: $id) { heroes(first: 50) { totalCount } } }', { id: team });
    expect(after.team.heroes.totalCount).toBe(30);
  }, 60_000);
});

describe('subscriptions', () => {
  it('get the events of mutations: the LISTEN connection goes straight to PostgreSQL', async () => {
    const team = (
      await ok('mutation { createTeam(input: { name: "Listeners", headquarters: "Direct" }) { team { id } } }')
    ).createTeam.team.id as string;
    const hero = (await ok('mutation { createHero(input: { name: "Heard", secretName: "Notified" }) { hero { id } } }'))
      .createHero.hero.id as string;
    const subscription = await subscribeSse<{ membershipChanged: { kind: string; heroId: string } }, object>(
      fetch,
      `${server.url}/graphql`,
      'subscription ($team: ID) { membershipChanged(teamId: $team) { kind heroId } }',
      { team },
    );
    open.push(subscription as Subscription<unknown>);
    expect(subscription.status).toBe(200);
    await ok('mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }', {
      h: hero,
      t: team,
    });
    expect((await subscription.next())?.data?.membershipChanged).toEqual({ kind: 'ADDED', heroId: hero });

    // The one session that listens is not one of PgBouncer's.
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query = 'LISTEN ${CHANGES_CHANNEL}'`,
      [databaseName()],
    );
    expect(rows).toHaveLength(1);
    const pooled = await bouncer.serverPids();
    expect(pooled.length).toBeGreaterThan(0);
    expect(pooled).not.toContain(rows[0]!.pid);
  });
});

const version = pgbouncerVersion();

describe('prepared statements', () => {
  itIfAble(
    version && keepsPreparedStatements(version)
      ? null
      : `needs PgBouncer 1.21 or later, this one is ${version?.join('.') ?? 'missing'} (.ci/run builds one: PGBOUNCER)`,
    `named ones with max_prepared_statements (PgBouncer 1.21 or later; this one is ${version?.join('.') ?? 'missing'})`,
    async () => {
      const keeping = await startPgBouncer({ poolSize: POOL_SIZE, maxPreparedStatements: 100 });
      const withNames = await startServer({
        ...serverEnv(),
        DATABASE_URL: keeping.url(directUrl),
        PG_PREPARED_STATEMENTS: '100',
        MIGRATE_ON_START: 'false',
      });
      try {
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            post(
              `query ($first: Int!) { heroes(first: $first, orderBy: { field: ID }) { edges { node { teams { totalCount } } } } }`,
              {
                first: 1 + (i % 4),
              },
              withNames,
            ),
          ),
        );
        for (const answer of answers) expect(answer.body.errors).toBeUndefined();
      } finally {
        withNames.child.kill('SIGTERM');
        await withNames.exited;
        await keeping.stop();
      }
    },
    90_000,
  );
});
