import { Client } from 'pg';
import { prisma } from '../src/db';
import { heroId, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { executeOperation } from './support/graphql';
import { graphql } from './gql';
import { describeOnPostgres, waitUntilBlocked } from './support/postgres-only';

// Two periods of one membership never overlap, and at most one is open, however its writers race
// (migration membership_history): the triggers stamp a period with the clock read once the
// statement holds its row locks, never now(), the start of a transaction that may have waited.

const Add = graphql(`
  mutation HistoryRaceAdd($hero: ID!, $team: ID!, $training: Boolean) {
    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: $training }) {
      isTraining
    }
  }
`);
const Remove = graphql(`
  mutation HistoryRaceRemove($hero: ID!, $team: ID!) {
    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {
      removed
    }
  }
`);
const Update = graphql(`
  mutation HistoryRaceUpdate($hero: ID!, $team: ID!, $training: Boolean!) {
    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {
      isTraining
    }
  }
`);

/** Pairs of periods of one membership that overlap, and memberships with more than one open period. */
async function brokenPeriods() {
  const overlapping = await prisma.$queryRaw<{ a: number; b: number }[]>`
    SELECT a.id AS a, b.id AS b
    FROM "MembershipPeriod" a JOIN "MembershipPeriod" b
      ON a."heroId" = b."heroId" AND a."teamId" = b."teamId" AND a.id < b.id
    WHERE a."startedAt" < coalesce(b."endedAt", 'infinity') AND b."startedAt" < coalesce(a."endedAt", 'infinity')`;
  const open = await prisma.$queryRaw<{ heroId: number; teamId: number }[]>`
    SELECT "heroId", "teamId" FROM "MembershipPeriod" WHERE "endedAt" IS NULL
    GROUP BY 1, 2 HAVING count(*) > 1`;
  // The open period of each membership is the link as it is; none is open without its link.
  const astray = await prisma.$queryRaw<{ heroId: number; teamId: number }[]>`
    SELECT coalesce(p."heroId", l."heroId") AS "heroId", coalesce(p."teamId", l."teamId") AS "teamId"
    FROM (SELECT * FROM "MembershipPeriod" WHERE "endedAt" IS NULL) p
    FULL JOIN "HeroTeamLink" l ON l."heroId" = p."heroId" AND l."teamId" = p."teamId"
    WHERE p.id IS NULL OR l."heroId" IS NULL OR p."isTraining" <> l."isTraining"`;
  const backwards = await prisma.$queryRaw<{ id: number }[]>`
    SELECT id FROM "MembershipPeriod" WHERE "endedAt" < "startedAt"`;
  return { overlapping, open, astray, backwards };
}

const intact = { overlapping: [], open: [], astray: [], backwards: [] };

describe('periods of one membership under concurrent writers', () => {
  let heroes: number[];
  let teams: number[];

  beforeEach(async () => {
    await resetDatabase();
    heroes = await makeHeroes(2, 'Racer');
    teams = await makeTeams(1, 'Track');
  });

  it('never overlap: 300 concurrent adds, removes and changes of isTraining of the same memberships', async () => {
    const operations = Array.from({ length: 300 }, (_, i) => {
      const variables = { hero: heroId(heroes[i % 2]!), team: teamId(teams[0]!), training: i % 5 < 2 };
      if (i % 3 === 0) return executeOperation(Add, variables);
      if (i % 3 === 1) return executeOperation(Remove, variables);
      return executeOperation(Update, variables);
    });
    const responses = await Promise.all(operations);
    // updateMembership of a membership that is not there is NOT_FOUND: that is a race lost, not a fault.
    for (const { body } of responses) {
      for (const error of body.errors ?? []) expect(error.extensions?.code).toBe('NOT_FOUND');
    }
    expect(await brokenPeriods()).toEqual(intact);
    expect(await prisma.membershipPeriod.count()).toBeGreaterThan(10);
  });

  describeOnPostgres('a transaction that waited on the link', () => {
    it('begins its period after the one it waited for ended, though it began first', async () => {
      const [hero, team] = [heroes[0]!, teams[0]!];
      await prisma.heroTeamLink.create({ data: { heroId: hero, teamId: team } });
      const early = new Client({ connectionString: process.env.DATABASE_URL });
      const holder = new Client({ connectionString: process.env.DATABASE_URL });
      await early.connect();
      await holder.connect();
      try {
        // `early` begins (its now() is taken), then `holder` changes the membership and holds it.
        await early.query('BEGIN');
        await early.query('SELECT now()');
        await new Promise((resolve) => setTimeout(resolve, 20));
        await holder.query('BEGIN');
        await holder.query(`UPDATE "HeroTeamLink" SET "isTraining" = true WHERE "heroId" = $1 AND "teamId" = $2`, [
          hero,
          team,
        ]);
        const removal = early.query(`DELETE FROM "HeroTeamLink" WHERE "heroId" = $1 AND "teamId" = $2`, [hero, team]);
        await waitUntilBlocked(holder);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await holder.query('COMMIT');
        await removal;
        await early.query('COMMIT');
      } finally {
        await early.end();
        await holder.end();
      }
      const periods = await prisma.membershipPeriod.findMany({ orderBy: { id: 'asc' } });
      expect(periods.map((p) => p.isTraining)).toEqual([false, true]);
      // The second period began as the first ended, and ended as the DELETE ran, at least the 20 ms
      // it waited later: stamped with now(), the DELETE would have ended it before it began.
      expect(periods[1]!.startedAt.getTime()).toBe(periods[0]!.endedAt!.getTime());
      expect(periods[1]!.endedAt!.getTime() - periods[1]!.startedAt.getTime()).toBeGreaterThanOrEqual(15);
      expect(await brokenPeriods()).toEqual(intact);
    });

    it('cannot hold two open periods of one membership (the partial unique index)', async () => {
      const [hero, team] = [heroes[0]!, teams[0]!];
      await prisma.heroTeamLink.create({ data: { heroId: hero, teamId: team } });
      await expect(
        prisma.$executeRaw`INSERT INTO "MembershipPeriod" ("heroId", "teamId", "isTraining", "joinedAt", "startedAt")
                           VALUES (${hero}, ${team}, false, now(), now())`,
      ).rejects.toThrow(/MembershipPeriod_open_key/);
    });
  });
});
