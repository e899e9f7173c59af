import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { complexityFromQuery } from '@pothos/plugin-complexity';
import { parse } from 'graphql';
import { prisma } from '../src/db';
import { counterMismatches, heroId, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { forgetSizes, statisticCost } from '../src/links/sizes';
import { schema } from '../src/schema';
import { codes, executeOperation, ok, recordSql } from './support/graphql';

// The counters in the API (Team.heroCount, Team.trainingHeroCount, Hero.teamCount), the filters and
// orders by them, and the aggregates of the four connections (API.md, "Aggregates over the link"),
// checked against counting the links in SQL, on both databases. Statement counts per level:
// test/batching.test.ts; the API.md examples over HTTP: test/aggregates-examples.test.ts.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;
const run = (query: string, variables: Record<string, unknown> = {}) =>
  ok(parse(query) as TypedDocumentNode<Data, Record<string, unknown>>, variables);
const send = (query: string, variables: Record<string, unknown> = {}) =>
  executeOperation(parse(query) as TypedDocumentNode<Data, Record<string, unknown>>, variables);

let teams: number[];
let heroes: number[];

// Team i (0..7) has i + 1 heroes (heroes 0..i), the first i % 4 of them in training: sizes 1..8,
// trainees 0,1,2,3,0,1,2,3. Hero h is in 8 - h teams. Team 8 has none.
beforeAll(async () => {
  await resetDatabase();
  teams = await makeTeams(9, 'Sized');
  heroes = await makeHeroes(8, 'Counted');
  await prisma.heroTeamLink.createMany({
    data: teams
      .slice(0, 8)
      .flatMap((team, i) =>
        heroes.slice(0, i + 1).map((hero, h) => ({ teamId: team, heroId: hero, isTraining: h < i % 4 })),
      ),
  });
});

const names = (connection: Data) => connection.edges.map((edge: Data) => edge.node.name);

describe('the counters', () => {
  it('are fields of Team and Hero, equal to counting the links', async () => {
    const data = await run(`{
      teams(first: 20) { edges { node { name heroCount trainingHeroCount } } }
      heroes(first: 20) { edges { node { name teamCount } } }
    }`);
    expect(data.teams.edges.map((e: Data) => [e.node.heroCount, e.node.trainingHeroCount])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
      [5, 0],
      [6, 1],
      [7, 2],
      [8, 3],
      [0, 0],
    ]);
    expect(data.heroes.edges.map((e: Data) => e.node.teamCount)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(await counterMismatches()).toEqual([]);
  });

  it("are current in a mutation's payload, read after the write", async () => {
    const added = await run(
      `mutation ($h: ID!, $t: ID!) {
        addHeroToTeam(input: { heroId: $h, teamId: $t, isTraining: true }) {
          hero { teamCount } team { heroCount trainingHeroCount }
        }
      }`,
      { h: heroId(heroes[7]!), t: teamId(teams[8]!) },
    );
    expect(added.addHeroToTeam).toEqual({ hero: { teamCount: 2 }, team: { heroCount: 1, trainingHeroCount: 1 } });
    const removed = await run(
      `mutation ($h: ID!, $t: ID!) {
        removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { hero { teamCount } team { heroCount trainingHeroCount } }
      }`,
      { h: heroId(heroes[7]!), t: teamId(teams[8]!) },
    );
    expect(removed.removeHeroFromTeam).toEqual({
      hero: { teamCount: 1 },
      team: { heroCount: 0, trainingHeroCount: 0 },
    });
    const bulk = await run(
      `mutation ($t: ID!, $h: ID!) {
        addHeroesToTeam(input: { teamId: $t, heroes: [{ heroId: $h }] }) { team { heroCount } }
      }`,
      { t: teamId(teams[8]!), h: heroId(heroes[0]!) },
    );
    expect(bulk.addHeroesToTeam.team.heroCount).toBe(1);
    await run(`mutation ($t: ID!) { setTeamHeroes(input: { teamId: $t, heroes: [] }) { removed } }`, {
      t: teamId(teams[8]!),
    });
    expect(await counterMismatches()).toEqual([]);
  });
});

describe('filters by the counters (IntComparison)', () => {
  it.each([
    ['teams with more than two trainees', `teams(where: { trainingHeroCount: { gt: 2 } })`, ['Sized 4', 'Sized 8']],
    ['teams of 3 to 5 heroes', `teams(where: { heroCount: { gte: 3, lte: 5 } })`, ['Sized 3', 'Sized 4', 'Sized 5']],
    ['teams of exactly 2', `teams(where: { heroCount: { eq: 2 } })`, ['Sized 2']],
    ['empty teams', `teams(where: { heroCount: { lt: 1 } })`, ['Sized 9']],
    ['heroes in at least seven teams', `heroes(where: { teamCount: { gte: 7 } })`, ['Counted 00001', 'Counted 00002']],
    [
      'combined with the other fields and through or/not',
      `heroes(where: { or: [{ teamCount: { eq: 1 } }, { not: { teamCount: { lt: 8 } } }] })`,
      ['Counted 00001', 'Counted 00008'],
    ],
  ])('%s', async (_, field, expected) => {
    const data = await run(`{ list: ${field} { edges { node { name } } } }`);
    expect(names(data.list)).toEqual(expected);
  });

  it('filter the members of a team through the link too', async () => {
    const data = await run(
      `query ($t: ID!) { team(id: $t) { heroes(where: { teamCount: { gt: 6 } }) { totalCount edges { node { name } } } } }`,
      { t: teamId(teams[7]!) },
    );
    expect(data.team.heroes).toEqual({
      totalCount: 2,
      edges: [{ node: { name: 'Counted 00001' } }, { node: { name: 'Counted 00002' } }],
    });
  });
});

describe('orders by the counters, with cursors both ways', () => {
  const TEAMS = `query ($first: Int, $after: String, $last: Int, $before: String, $field: TeamOrderField!, $direction: OrderDirection) {
    teams(first: $first, after: $after, last: $last, before: $before, orderBy: { field: $field, direction: $direction }) {
      edges { cursor node { name heroCount trainingHeroCount } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }`;

  /** Every team, page by page forwards and then backwards, in this order. */
  async function walk(field: string, direction: string): Promise<[string[], string[]]> {
    const forwards: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { teams: page } = await run(TEAMS, { first: 2, after, field, direction });
      forwards.push(...names(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const backwards: string[] = [];
    let before: string | null = null;
    for (;;) {
      const { teams: page } = await run(TEAMS, { last: 2, before, field, direction });
      backwards.unshift(...names(page));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    return [forwards, backwards];
  }

  it('the five biggest teams: HERO_COUNT DESC', async () => {
    const data = await run(TEAMS, { first: 5, field: 'HERO_COUNT', direction: 'DESC' });
    expect(names(data.teams)).toEqual(['Sized 8', 'Sized 7', 'Sized 6', 'Sized 5', 'Sized 4']);
    expect(data.teams.pageInfo.hasNextPage).toBe(true);
  });

  it.each([
    [
      'TRAINING_HERO_COUNT ASC, ties by id',
      'TRAINING_HERO_COUNT',
      'ASC',
      ['Sized 1', 'Sized 5', 'Sized 9', 'Sized 2', 'Sized 6', 'Sized 3', 'Sized 7', 'Sized 4', 'Sized 8'],
    ],
    [
      'TRAINING_HERO_COUNT DESC, ties by id DESC',
      'TRAINING_HERO_COUNT',
      'DESC',
      ['Sized 8', 'Sized 4', 'Sized 7', 'Sized 3', 'Sized 6', 'Sized 2', 'Sized 9', 'Sized 5', 'Sized 1'],
    ],
    [
      'HERO_COUNT ASC',
      'HERO_COUNT',
      'ASC',
      ['Sized 9', 'Sized 1', 'Sized 2', 'Sized 3', 'Sized 4', 'Sized 5', 'Sized 6', 'Sized 7', 'Sized 8'],
    ],
  ])('%s: pages of 2 forwards and backwards give the whole order', async (_, field, direction, expected) => {
    expect(await walk(field, direction)).toEqual([expected, expected]);
  });

  it("heroes by TEAM_COUNT, at the root and in a team's heroes", async () => {
    const data = await run(
      `query ($t: ID!) {
        heroes(first: 3, orderBy: { field: TEAM_COUNT }) { edges { node { name teamCount } } }
        team(id: $t) { heroes(first: 2, orderBy: { field: TEAM_COUNT, direction: DESC }) { edges { node { name } } } }
      }`,
      { t: teamId(teams[2]!) },
    );
    expect(names(data.heroes)).toEqual(['Counted 00008', 'Counted 00007', 'Counted 00006']);
    expect(names(data.team.heroes)).toEqual(['Counted 00001', 'Counted 00002']);
  });

  it('a cursor of another order is BAD_USER_INPUT', async () => {
    const { teams: page } = await run(TEAMS, { first: 1, field: 'HERO_COUNT', direction: 'DESC' });
    const answer = await send(TEAMS, { first: 1, after: page.pageInfo.endCursor, field: 'TRAINING_HERO_COUNT' });
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('aggregate', () => {
  const TEAM = `query ($t: ID!, $training: Boolean, $where: HeroFilter, $first: Int) {
    team(id: $t) {
      heroes(first: $first, isTraining: $training, where: $where) {
        edges { node { name } }
        aggregate { count trainingCount age { count min max sum avg } joinedAt { min max } }
      }
    }
  }`;
  /** The aggregate of team `t`'s members meeting `condition`, counted in SQL. */
  const counted = async (t: number, condition: string) => {
    const [row] = await prisma.$queryRawUnsafe<Data[]>(
      `SELECT count(*)::int AS count, count(*) FILTER (WHERE l."isTraining")::int AS "trainingCount",
              count(h.age)::int AS "ageCount", min(h.age) AS min, max(h.age) AS max, sum(h.age)::int AS sum,
              avg(h.age)::float8 AS avg, min(l."joinedAt") AS "firstJoined", max(l."joinedAt") AS "lastJoined"
       FROM "HeroTeamLink" l JOIN "Hero" h ON h.id = l."heroId" WHERE l."teamId" = $1 AND ${condition}`,
      teams[t],
    );
    return {
      count: row.count,
      trainingCount: row.trainingCount,
      age: {
        count: row.ageCount,
        min: row.min,
        max: row.max,
        sum: row.sum,
        avg: row.avg === null ? null : expect.closeTo(row.avg, 9),
      },
      joinedAt: {
        min: row.firstJoined && new Date(row.firstJoined).toISOString(),
        max: row.lastJoined && new Date(row.lastJoined).toISOString(),
      },
    };
  };

  it.each([
    ['the whole list, whatever the page', { first: 1 }, 'TRUE'],
    ['isTraining: true', { training: true }, 'l."isTraining"'],
    ['isTraining: false', { training: false, first: 2 }, 'NOT l."isTraining"'],
    ['a filter of the nodes', { where: { minAge: 22 } }, 'h.age >= 22'],
    [
      'a filter by a counter',
      { where: { teamCount: { gte: 5 } }, training: true },
      'h."teamCount" >= 5 AND l."isTraining"',
    ],
  ])("a team's heroes: %s", async (_, variables, condition) => {
    const data = await run(TEAM, { t: teamId(teams[7]!), ...variables });
    expect(data.team.heroes.aggregate).toEqual(await counted(7, condition));
  });

  it('an empty list: counts 0, statistics null', async () => {
    const data = await run(TEAM, { t: teamId(teams[8]!) });
    expect(data.team.heroes.aggregate).toEqual({
      count: 0,
      trainingCount: 0,
      age: { count: 0, min: null, max: null, sum: null, avg: null },
      joinedAt: { min: null, max: null },
    });
  });

  it('counts alone come from the counters: one statement, reading no link', async () => {
    const { result, statements } = await recordSql(() =>
      run(`query ($t: ID!) { team(id: $t) { heroes { aggregate { count trainingCount } } } }`, {
        t: teamId(teams[7]!),
      }),
    );
    expect(result.team.heroes.aggregate).toEqual({ count: 8, trainingCount: 3 });
    // The team's row, then its counters.
    expect(statements).toHaveLength(2);
    expect(statements[1]).not.toMatch(/HeroTeamLink/);
  });

  it("a hero's teams: count, trainingCount, joinedAt", async () => {
    const data = await run(
      `query ($h: ID!) { hero(id: $h) {
        teams(first: 1) { aggregate { count trainingCount joinedAt { max } } }
        training: teams(isTraining: true) { aggregate { count trainingCount } }
      } }`,
      { h: heroId(heroes[0]!) },
    );
    const links = await prisma.heroTeamLink.findMany({ where: { heroId: heroes[0]! } });
    const trainees = links.filter((link) => link.isTraining).length;
    expect(data.hero.teams.aggregate).toEqual({
      count: 8,
      trainingCount: trainees,
      joinedAt: { max: new Date(Math.max(...links.map((l) => l.joinedAt.getTime()))).toISOString() },
    });
    expect(data.hero.training.aggregate).toEqual({ count: trainees, trainingCount: trainees });
  });

  it('root lists: count and statistics over the whole filtered list', async () => {
    const data = await run(`{
      heroes(first: 1, where: { teamCount: { gte: 3 } }) { aggregate { count age { min max avg } } }
      teams(first: 1) { aggregate { count heroCount { count min max sum avg } } }
      big: teams(where: { heroCount: { gt: 4 } }) { aggregate { count heroCount { avg } } }
    }`);
    const [ages] = await prisma.$queryRaw<Data[]>`
      SELECT count(*)::int AS count, min(age) AS min, max(age) AS max, avg(age)::float8 AS avg
      FROM "Hero" WHERE "teamCount" >= 3`;
    expect(data.heroes.aggregate).toEqual({
      count: ages.count,
      age: { min: ages.min, max: ages.max, avg: expect.closeTo(ages.avg, 9) },
    });
    // 1 + 2 + … + 8 heroes, and an empty team.
    expect(data.teams.aggregate).toEqual({
      count: 9,
      heroCount: { count: 9, min: 0, max: 8, sum: 36, avg: 4 },
    });
    expect(data.big.aggregate).toEqual({ count: 4, heroCount: { avg: 6.5 } });
  });
});

describe('the cost of a statistic', () => {
  const cost = (query: string) => complexityFromQuery(parse(query), { schema }).complexity;
  const withStats = `{ teams(first: 2) { edges { node { heroes(first: 1) { aggregate { count age { avg } } } } } } }`;
  const countsOnly = `{ teams(first: 2) { edges { node { heroes(first: 1) { aggregate { count } } } } } }`;

  it('follows the size of the largest list, which the counters give, and counts alone cost little', async () => {
    forgetSizes();
    // Before the counters are read: lists of 10,000 are assumed. Per team of the page: the
    // statistic, and 1 for its avg.
    const assumed = cost(withStats) - cost(countsOnly);
    expect(assumed).toBe(2 * (statisticCost(10_000) + 1));
    // The read, started by the first cost, finds the biggest team: 8 heroes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cost(withStats) - cost(countsOnly)).toBe(2 * (statisticCost(8) + 1));
    await prisma.heroTeamLink.createMany({
      data: (await makeHeroes(2500, 'Costly')).map((hero) => ({ heroId: hero, teamId: teams[8]! })),
    });
    forgetSizes();
    cost(withStats);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cost(withStats) - cost(countsOnly)).toBe(2 * (statisticCost(2500) + 1));
    expect(statisticCost(2500)).toBe(4);
    await prisma.heroTeamLink.deleteMany({ where: { teamId: teams[8]! } });
    await prisma.hero.deleteMany({ where: { name: { startsWith: 'Costly' } } });
  });
});
