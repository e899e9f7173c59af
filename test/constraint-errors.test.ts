import { Client } from 'pg';
import { prisma } from '../src/db';
import { captureLog } from '../src/ops/logger';
import { graphql } from './gql';
import { heroId, makeHeroes, makeTeams, resetDatabase, tableCounts, teamId } from './support/factories';
import { codes, executeOperation } from './support/graphql';
import { describeOnPostgres, waitUntilBlocked } from './support/postgres-only';

// Unique and foreign-key violations as the database raises them, through Prisma Client's writes
// (P2002, P2003) and through raw statements (P2010 carrying PostgreSQL's SQLSTATE 23505, 23503):
// each is CONFLICT or NOT_FOUND, without its SQL, logged as nothing unexpected, and writes nothing.
// test/http.test.ts checks the mapping with errors made by hand; these are real. The API's own
// checks stop most of them first, so each is provoked the way it can happen: a row that took the
// id a sequence hands out next, a team deleted between the check and the write (a trigger added
// here stands in for the other writer), a unique index an operator added.

const CreateTeam = graphql(`
  mutation ConstraintCreateTeam($name: String!) {
    createTeam(input: { name: $name, headquarters: "HQ" }) {
      team {
        id
      }
    }
  }
`);

const CreateHero = graphql(`
  mutation ConstraintCreateHero($teams: [MembershipInput!]) {
    createHero(input: { name: "Constrained", secretName: "c", teams: $teams }) {
      hero {
        id
      }
    }
  }
`);

const AddHero = graphql(`
  mutation ConstraintAddHero($hero: ID!, $team: ID!) {
    addHeroToTeam(input: { heroId: $hero, teamId: $team }) {
      isTraining
    }
  }
`);

const AddHeroes = graphql(`
  mutation ConstraintAddHeroes($team: ID!, $heroes: [HeroMembershipInput!]!) {
    addHeroesToTeam(input: { teamId: $team, heroes: $heroes }) {
      added
    }
  }
`);

let log: string[] = [];
let release: () => void = () => undefined;

beforeEach(async () => {
  await resetDatabase();
  log = [];
  release = captureLog({ write: (line: string) => void log.push(line) });
});
afterEach(() => release());

/** The answer's codes, whether its text names SQL or a constraint, and what changed in the tables. */
async function outcome(send: () => Promise<{ body: { errors?: unknown[] } }>) {
  const before = await tableCounts();
  const response = await send();
  const text = JSON.stringify(response.body);
  return {
    codes: codes(response as Parameters<typeof codes>[0]),
    leaks: /INSERT|violates|constraint|_pkey|_fkey/i.test(text),
    changed: JSON.stringify(await tableCounts()) !== JSON.stringify(before),
  };
}

describe('a unique violation', () => {
  it('through Prisma Client (createTeam, P2002): the id it is handed is taken: CONFLICT', async () => {
    const [{ id }] = (await prisma.$queryRawUnsafe<{ id: number }[]>(
      `SELECT nextval(pg_get_serial_sequence('"Team"', 'id'))::int AS id`,
    )) as [{ id: number }];
    await prisma.$executeRawUnsafe(`INSERT INTO "Team" (id, name, headquarters) VALUES (${id + 1}, 'Squatter', 'x')`);
    expect(await outcome(() => executeOperation(CreateTeam, { name: 'Unlucky' }))).toEqual({
      codes: ['CONFLICT'],
      leaks: false,
      changed: false,
    });
    // The next id is free: the same request succeeds when retried.
    expect((await executeOperation(CreateTeam, { name: 'Unlucky' })).body.errors).toBeUndefined();
    expect(log).toEqual([]);
  });

  it('through a raw statement (addHeroesToTeam, P2010 with 23505): a unique index it does not expect: CONFLICT', async () => {
    const [first, second] = (await makeTeams(2)) as [number, number];
    const [hero] = (await makeHeroes(1)) as [number];
    // At most one team where a hero is in training: the bulk insert's ON CONFLICT names another key.
    await prisma.$executeRawUnsafe(
      `CREATE UNIQUE INDEX one_training_team ON "HeroTeamLink" ("heroId") WHERE "isTraining"`,
    );
    try {
      await prisma.heroTeamLink.create({ data: { teamId: first, heroId: hero, isTraining: true } });
      const heroes = [{ heroId: heroId(hero), isTraining: true }];
      expect(await outcome(() => executeOperation(AddHeroes, { team: teamId(second), heroes }))).toEqual({
        codes: ['CONFLICT'],
        leaks: false,
        changed: false,
      });
    } finally {
      await prisma.$executeRawUnsafe('DROP INDEX one_training_team');
    }
    expect(log).toEqual([]);
  });
});

describe('a foreign-key violation: a link to a team that is not there', () => {
  beforeEach(async () => {
    // Stands in for a team deleted between the check and the write: a link to a team named
    // "Vanishing" is written to a team id that does not exist. (Deleting the team here would not
    // do: its cascade, at the end of the statement, would take the new link along, unchecked.)
    await prisma.$executeRawUnsafe(`
      CREATE FUNCTION vanish_team() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT name FROM "Team" WHERE id = NEW."teamId") LIKE 'Vanishing%' THEN NEW."teamId" := -NEW."teamId"; END IF;
        RETURN NEW;
      END $$`);
    await prisma.$executeRawUnsafe(`
      CREATE TRIGGER vanish_team BEFORE INSERT ON "HeroTeamLink" FOR EACH ROW EXECUTE FUNCTION vanish_team()`);
  });
  afterEach(async () => {
    await prisma.$executeRawUnsafe('DROP TRIGGER vanish_team ON "HeroTeamLink"');
    await prisma.$executeRawUnsafe('DROP FUNCTION vanish_team');
  });

  it('through Prisma Client (createHero with teams, P2003): NOT_FOUND, and no hero', async () => {
    const [team] = (await makeTeams(1, 'Vanishing')) as [number];
    expect(await outcome(() => executeOperation(CreateHero, { teams: [{ teamId: teamId(team) }] }))).toEqual({
      codes: ['NOT_FOUND'],
      leaks: false,
      changed: false,
    });
    expect(log).toEqual([]);
  });

  it('through a raw statement (addHeroToTeam, P2010 with 23503): NOT_FOUND', async () => {
    const [team] = (await makeTeams(1, 'Vanishing')) as [number];
    const [hero] = (await makeHeroes(1)) as [number];
    expect(await outcome(() => executeOperation(AddHero, { hero: heroId(hero), team: teamId(team) }))).toEqual({
      codes: ['NOT_FOUND'],
      leaks: false,
      changed: false,
    });
    expect(log).toEqual([]);
  });
});

// The race itself, on PostgreSQL: addHeroToTeam found the team, then waits for its hero, which
// another transaction holds while it deletes the team and commits.
describeOnPostgres('addHeroToTeam whose team is deleted while it waits for its hero', () => {
  it('gets a foreign-key violation from PostgreSQL: NOT_FOUND', async () => {
    const [team] = (await makeTeams(1, 'Deleted meanwhile')) as [number];
    const [hero] = (await makeHeroes(1)) as [number];
    const other = new Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM "Hero" WHERE id = $1 FOR UPDATE', [hero]);
      const answer = outcome(() => executeOperation(AddHero, { hero: heroId(hero), team: teamId(team) }));
      await waitUntilBlocked(other);
      await other.query('DELETE FROM "Team" WHERE id = $1', [team]);
      await other.query('COMMIT');
      // The team's deletion is what changed the tables.
      expect({ ...(await answer), changed: undefined }).toEqual({ codes: ['NOT_FOUND'], leaks: false });
    } finally {
      await other.end();
    }
    expect(await prisma.heroTeamLink.count()).toBe(0);
    expect(log).toEqual([]);
  });
});
