import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { prisma } from '../src/db';
import { graphql } from './gql';
import { heroId, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { ok, recordSql } from './support/graphql';
import { explainServed, rowsPerPlan, statementsOf } from './support/plans';

// The number of SQL statements of a request follows the depth of the query, never the number of
// objects it returns: every level is one batched statement (plus one per totalCount asked for).

const TEAMS = 100;
const HEROES = 100;
let teamIds: number[] = [];
let heroIds: number[] = [];
/** Heroes in no team. */
let loners: number[] = [];

beforeAll(async () => {
  await resetDatabase();
  teamIds = await makeTeams(TEAMS);
  heroIds = await makeHeroes(HEROES);
  loners = await makeHeroes(10, 'Loner');
  // Every hero in 5 teams, every team with 5 heroes, a third of the memberships in training.
  await prisma.heroTeamLink.createMany({
    data: heroIds.flatMap((hero, h) =>
      [0, 1, 2, 3, 4].map((k) => ({
        heroId: hero,
        teamId: teamIds[(h + k * 20) % TEAMS]!,
        isTraining: (h + k) % 3 === 0,
      })),
    ),
  });
});

const Depth1 = graphql(`
  query Depth1($first: Int!) {
    heroes(first: $first) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const Depth2 = graphql(`
  query Depth2($first: Int!) {
    heroes(first: $first, orderBy: { field: ID }) {
      edges {
        node {
          id
          name
          teams(first: 10, orderBy: { field: ID }) {
            edges {
              isTraining
              node {
                name
                headquarters
              }
            }
          }
        }
      }
    }
  }
`);

const Depth3 = graphql(`
  query Depth3($first: Int!) {
    teams(first: $first, orderBy: { field: ID }) {
      edges {
        node {
          id
          name
          heroes(first: 10, orderBy: { field: ID }) {
            edges {
              node {
                id
                name
                teams(first: 10, orderBy: { field: ID }) {
                  edges {
                    node {
                      name
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`);

const Depth3WithCounts = graphql(`
  query Depth3WithCounts($first: Int!) {
    teams(first: $first) {
      totalCount
      edges {
        node {
          heroes(first: 10, isTraining: false) {
            totalCount
            edges {
              node {
                teams(first: 10, orderBy: { field: NAME, direction: DESC }) {
                  totalCount
                  edges {
                    node {
                      name
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`);

describe('SQL statements per request', () => {
  it.each([
    ['depth 1: 1 statement', Depth1, 1],
    ['depth 2 (heroes -> teams): 2 statements', Depth2, 2],
    ['depth 3 (teams -> heroes -> teams): 3 statements', Depth3, 3],
    ['depth 3 with totalCount at every level: 6 statements', Depth3WithCounts, 6],
  ] as [string, TypedDocumentNode<unknown, { first: number }>, number][])(
    '%s, for 1 parent and for 100',
    async (_name, document, expected) => {
      const one = await recordSql(() => ok(document, { first: 1 }));
      const hundred = await recordSql(() => ok(document, { first: 100 }));
      expect(one.statements).toHaveLength(expected);
      expect(hundred.statements).toHaveLength(expected);
    },
  );

  it('returns what the batched statements found, for every parent', async () => {
    const { result, statements } = await recordSql(() => ok(Depth3, { first: 100 }));
    expect(statements).toHaveLength(3);
    const teams = result.teams.edges;
    expect(teams).toHaveLength(100);
    for (const team of teams) {
      expect(team.node.heroes.edges).toHaveLength(5);
      for (const hero of team.node.heroes.edges) expect(hero.node.teams.edges).toHaveLength(5);
    }
    const first = await prisma.heroTeamLink.findMany({ where: { teamId: teamIds[0] }, orderBy: { heroId: 'asc' } });
    expect(teams[0]!.node.heroes.edges.map((e) => e.node.id)).toEqual(first.map((l) => heroId(l.heroId)));
  });

  const Lookups = graphql(`
    query Lookups($ids: [ID!]!, $one: ID!, $two: ID!) {
      nodes(ids: $ids) {
        id
      }
      a: hero(id: $one) {
        name
      }
      b: hero(id: $two) {
        name
      }
    }
  `);

  it('batches lookups by id: one statement per type, whatever the number of ids and fields', async () => {
    const ids = [...heroIds.map(heroId), ...teamIds.map(teamId)];
    const { result, statements } = await recordSql(() =>
      ok(Lookups, { ids, one: heroId(heroIds[0]!), two: heroId(heroIds[1]!) }),
    );
    expect(result.nodes.map((n) => n?.id)).toEqual(ids);
    expect(statements).toHaveLength(2);
  });
});

describe('a connection asked only for its totalCount', () => {
  const Counts = graphql(`
    query OnlyCounts($first: Int!, $where: HeroFilter) {
      heroes(where: $where) {
        totalCount
      }
      teams(first: $first) {
        edges {
          node {
            all: heroes {
              totalCount
            }
            older: heroes(where: $where) {
              totalCount
            }
          }
        }
      }
    }
  `);
  const PageInfoOnly = graphql(`
    query OnlyPageInfo($first: Int!) {
      teams(first: $first) {
        pageInfo {
          hasNextPage
        }
        edges {
          node {
            heroes(first: 2) {
              pageInfo {
                hasNextPage
                endCursor
              }
            }
          }
        }
      }
    }
  `);

  it('reads no page: one count per connection, the same for 1 parent and 100', async () => {
    for (const first of [1, 100]) {
      const { result, statements } = await recordSql(() => ok(Counts, { first, where: { minAge: 40 } }));
      // The heroes' count; the teams' page; their counters; the filtered counts.
      expect(statements).toHaveLength(4);
      expect(statements.filter((sql) => sql.includes('LATERAL'))).toEqual([]);
      const older = await prisma.hero.count({ where: { age: { gte: 40 } } });
      expect(result.heroes.totalCount).toBe(older);
      expect(result.teams.edges.map((e) => e.node.all.totalCount)).toEqual(Array(first).fill(5));
    }
  });

  it('still reads the page for pageInfo', async () => {
    const { result, statements } = await recordSql(() => ok(PageInfoOnly, { first: 100 }));
    expect(statements).toHaveLength(2);
    expect(result.teams.pageInfo.hasNextPage).toBe(false);
    expect(
      result.teams.edges.every((e) => e.node.heroes.pageInfo.hasNextPage && e.node.heroes.pageInfo.endCursor),
    ).toBe(true);
  });
});

// Filters through the link add conditions to the statements a level sends, never statements.
const FilteredDepth1 = graphql(`
  query FilteredDepth1($first: Int!, $where: HeroFilter) {
    heroes(first: $first, where: $where) {
      edges {
        node {
          id
        }
      }
    }
  }
`);

const FilteredDepth2 = graphql(`
  query FilteredDepth2($first: Int!, $where: HeroFilter, $teams: TeamFilter) {
    heroes(first: $first, where: $where) {
      edges {
        node {
          teams(first: 10, where: $teams) {
            edges {
              joinedAt
              node {
                name
              }
            }
          }
        }
      }
    }
  }
`);

const FilteredDepth3WithCounts = graphql(`
  query FilteredDepth3WithCounts($first: Int!, $where: TeamFilter, $heroes: HeroFilter, $teams: TeamFilter) {
    teams(first: $first, where: $where) {
      totalCount
      edges {
        node {
          heroes(first: 5, where: $heroes, orderBy: { field: JOINED_AT, direction: DESC }) {
            totalCount
            edges {
              node {
                teams(first: 5, where: $teams, orderBy: { field: NAME }) {
                  totalCount
                  edges {
                    node {
                      name
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`);

describe('SQL statements per request, with filters through the link', () => {
  const inTeams = (...ids: number[]) => ({
    and: ids.map((id) => ({ teams: { some: { team: { ids: [teamId(id)] } } } })),
  });
  const heroFilters = [
    ['in both of two teams', () => inTeams(teamIds[0]!, teamIds[20]!)],
    ['in no team', () => ({ teams: { none: {} } })],
    [
      'every membership in training, or older than 30',
      () => ({ or: [{ teams: { every: { isTraining: true } } }, { minAge: 31 }] }),
    ],
    [
      'in a team that has a trainee (2 levels), not named "Hero 00001"',
      () => ({
        teams: { some: { team: { heroes: { some: { isTraining: true } } } } },
        not: { nameContains: 'Hero 00001' },
      }),
    ],
    [
      'three membership levels',
      () => ({
        teams: {
          some: { team: { heroes: { some: { hero: { teams: { every: { joinedAfter: '2000-01-01T00:00:00Z' } } } } } } },
        },
      }),
    ],
  ] as const;
  const teamFilter = { heroes: { some: { isTraining: false, hero: { maxAge: 60 } } }, not: { ids: [teamId(1)] } };

  it.each(heroFilters)(
    'heroes %s: 1 statement, 2 with their filtered teams, for 1 parent and 100',
    async (_, where) => {
      for (const first of [1, 100]) {
        const one = await recordSql(() => ok(FilteredDepth1, { first, where: where() }));
        expect(one.statements).toHaveLength(1);
        const two = await recordSql(() => ok(FilteredDepth2, { first, where: where(), teams: teamFilter }));
        expect(two.result.heroes.edges.length).toBeGreaterThan(0);
        expect(two.statements).toHaveLength(2);
      }
    },
  );

  it('three levels, each filtered and counted: 6 statements, for 1 parent and 100', async () => {
    for (const first of [1, 100]) {
      const { result, statements } = await recordSql(() =>
        ok(FilteredDepth3WithCounts, {
          first,
          where: { heroes: { some: {} } },
          heroes: { teams: { some: { isTraining: true } } },
          teams: teamFilter,
        }),
      );
      expect(result.teams.edges).toHaveLength(first);
      expect(statements).toHaveLength(6);
    }
  });

  it('the filtered lists are the ones the filters describe', async () => {
    const both = await ok(FilteredDepth1, { first: 100, where: inTeams(teamIds[0]!, teamIds[20]!) });
    const expected = await prisma.$queryRaw<{ id: number }[]>`
      SELECT "heroId" AS id FROM "HeroTeamLink" WHERE "teamId" = ${teamIds[0]}
      INTERSECT SELECT "heroId" FROM "HeroTeamLink" WHERE "teamId" = ${teamIds[20]} ORDER BY 1`;
    expect(both.heroes.edges.map((e) => e.node.id)).toEqual(expected.map((row) => heroId(row.id)));
    expect(expected.length).toBeGreaterThan(0);
    const lonely = await ok(FilteredDepth1, { first: 100, where: { teams: { none: {} } } });
    expect(lonely.heroes.edges.map((e) => e.node.id)).toEqual(loners.map(heroId));
  });
});

const TeamPage = graphql(`
  query TeamPage($id: ID!) {
    team(id: $id) {
      heroes(first: 10) {
        totalCount
        edges {
          node {
            name
          }
        }
      }
    }
  }
`);

const NewestMembers = graphql(`
  query NewestMembersPage($id: ID!, $direction: OrderDirection!, $first: Int, $last: Int, $after: String) {
    team(id: $id) {
      heroes(orderBy: { field: JOINED_AT, direction: $direction }, first: $first, last: $last, after: $after) {
        edges {
          cursor
          joinedAt
          node {
            name
          }
        }
      }
    }
  }
`);

/**
 * The plans of the statement of a recorded request that reads link pages (its LATERAL), as the
 * server runs it: for its values, after six runs, and generic (test/support/plans.ts).
 */
async function explainPage(recorded: Parameters<typeof statementsOf>[0]) {
  const [page] = statementsOf(recorded, /LATERAL/);
  return explainServed(page!);
}

/** The link rows each plan read, over all loops, capped at `most` (see rowsPerPlan). */
const linkRows = (plans: Awaited<ReturnType<typeof explainPage>>, most = Infinity) =>
  rowsPerPlan(plans, 'HeroTeamLink', most);

describe("a page of a team's heroes", () => {
  let giant: number;

  beforeAll(async () => {
    giant = (await makeTeams(1, 'Giant'))[0]!;
    const members = await makeHeroes(5000, 'Member');
    await prisma.heroTeamLink.createMany({ data: members.map((hero) => ({ heroId: hero, teamId: giant })) });
    // One member a minute, and a few at the same instant: ties are broken by id.
    await prisma.$executeRaw`
      UPDATE "HeroTeamLink" SET "joinedAt" = timestamptz '2026-01-01' + ("heroId" / 3) * interval '1 minute'
      WHERE "teamId" = ${giant}`;
    await prisma.$executeRawUnsafe('ANALYZE');
  });

  it("reads about as many link rows as the page holds, not the team's size", async () => {
    const small = await recordSql(() => ok(TeamPage, { id: teamId(teamIds[0]!) }));
    const big = await recordSql(() => ok(TeamPage, { id: teamId(giant) }));
    expect(big.statements).toHaveLength(small.statements.length);
    expect(big.result.team?.heroes.totalCount).toBe(5000);
    expect(big.result.team?.heroes.edges).toHaveLength(10);
    const plans = await explainPage(big);
    expect(linkRows(plans, 11)).toEqual(linkRows(plans));
  });

  it.each([
    ['the 10 newest', { direction: 'DESC', first: 10 }],
    ['the 10 oldest', { direction: 'ASC', first: 10 }],
    ['the 10 oldest, backwards from the end', { direction: 'DESC', last: 10 }],
  ] as const)('by JOINED_AT, %s: the team, then one statement reading about 10 link rows', async (_, order) => {
    const page = await recordSql(() => ok(NewestMembers, { id: teamId(giant), ...order }));
    expect(page.statements).toHaveLength(2);
    expect(page.result.team?.heroes.edges).toHaveLength(10);
    const plans = await explainPage(page);
    expect(linkRows(plans, 11)).toEqual(linkRows(plans));

    // The next page, from a cursor 50 members in, reads as few, and continues the list.
    const sixty = await ok(NewestMembers, { id: teamId(giant), direction: order.direction, first: 60 });
    const after = sixty.team!.heroes.edges[49]!.cursor;
    const next = await recordSql(() =>
      ok(NewestMembers, { id: teamId(giant), direction: order.direction, first: 10, after }),
    );
    expect(next.result.team?.heroes.edges).toEqual(sixty.team!.heroes.edges.slice(50));
    const nextPlans = await explainPage(next);
    expect(linkRows(nextPlans, 11)).toEqual(linkRows(nextPlans));
  });
});

// The benchmark's queries, verbatim (bench/queries.ts): their statement counts are targets.
const Q1 = graphql(`
  query Q1 {
    heroes(first: 100, orderBy: { field: ID }) {
      edges {
        node {
          id
          name
          teams(first: 10, orderBy: { field: ID }) {
            edges {
              isTraining
              node {
                name
                headquarters
              }
            }
          }
        }
      }
    }
  }
`);

const Q2 = graphql(`
  query Q2 {
    teams(first: 20, orderBy: { field: ID }) {
      edges {
        node {
          id
          name
          heroes(first: 50, orderBy: { field: ID }) {
            edges {
              node {
                id
                name
                teams(first: 10, orderBy: { field: ID }) {
                  edges {
                    node {
                      name
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`);

const Q3 = graphql(`
  query Q3($id: ID!) {
    team(id: $id) {
      heroes(first: 10) {
        totalCount
        edges {
          node {
            name
          }
        }
      }
    }
  }
`);

describe('the benchmark queries', () => {
  it('Q1 sends 2 statements, Q2 3, Q3 3 (depth 2 plus its totalCount)', async () => {
    const q1 = await recordSql(() => ok(Q1));
    expect(q1.result.heroes.edges).toHaveLength(100);
    expect(q1.statements).toHaveLength(2);
    const q2 = await recordSql(() => ok(Q2));
    expect(q2.result.teams.edges).toHaveLength(20);
    expect(q2.statements).toHaveLength(3);
    const q3 = await recordSql(() => ok(Q3, { id: teamId(teamIds[0]!) }));
    expect(q3.result.team?.heroes.totalCount).toBe(5);
    expect(q3.statements).toHaveLength(3);
  });
});

// A level of more than a thousand parents: Q2 has 1,000 at its third level (20 teams × 50 heroes).
// A DataLoader batch holds at most MAX_BATCH (1,000) keys, so such a level is one statement up to
// 1,000 parents and one more per 1,000 past it; never one per parent, nor per 100.
describe('levels of 1,000 and 2,000 parents', () => {
  const WIDE_TEAMS = 40;
  const PER_TEAM = 50;
  let wideTeams: number[] = [];
  let wideHeroes: number[] = [];
  let spare: number;

  beforeAll(async () => {
    wideTeams = await makeTeams(WIDE_TEAMS, 'Wide');
    spare = (await makeTeams(1, 'Spare'))[0]!;
    wideHeroes = await makeHeroes(WIDE_TEAMS * PER_TEAM, 'Wide');
    // Hero h is in team h / 50 and in the spare team: each wide team's 50 heroes are its own, so
    // 20 teams' pages hold 1,000 different heroes; every hero is in 2 teams.
    await prisma.heroTeamLink.createMany({
      data: wideHeroes.flatMap((hero, h) => [
        { heroId: hero, teamId: wideTeams[Math.floor(h / PER_TEAM)]! },
        { heroId: hero, teamId: spare },
      ]),
    });
  });

  const Wide = graphql(`
    query WideLevels($ids: [ID!]!, $first: Int!) {
      teams(first: $first, where: { ids: $ids }, orderBy: { field: ID }) {
        edges {
          node {
            id
            heroes(first: 50, orderBy: { field: ID }) {
              totalCount
              edges {
                node {
                  id
                  teams(first: 2, orderBy: { field: ID }) {
                    totalCount
                    edges {
                      node {
                        id
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  `);

  it.each([
    // teams; their pages and counters; 1,000 heroes' pages; their counts.
    [20, 1000, [1, 1, 1, 1, 1]],
    // teams; their pages and counters; 2,000 heroes' pages, 1,000 at a time; their counts, the same.
    [40, 2000, [1, 1, 1, 2, 2]],
  ])('%i teams × 50 heroes: %i parents at the third level', async (first, parents, perLevel) => {
    const ids = wideTeams.slice(0, first).map(teamId);
    const recorded = await recordSql(() => ok(Wide, { ids, first }));
    expect(recorded.statements).toHaveLength(perLevel.reduce((sum, n) => sum + n, 0));
    // Each statement's parents: the first argument of the batched statements (an array of ids).
    const batches = statementsOf(recorded)
      .map((statement) => statement.params[0])
      .filter((param): param is number[] => Array.isArray(param))
      .map((param) => param.length)
      .sort((a, b) => b - a);
    // The teams' ids; their pages and counters; their heroes' pages and counts, 1,000 at a time.
    const third = Array(parents / 1000).fill(1000);
    expect(batches).toEqual([...third, ...third, first, first, first]);

    // Every parent got its own page and count, in every batch.
    const teams = recorded.result.teams.edges;
    expect(teams.map((edge) => edge.node.id)).toEqual(ids);
    const heroes = teams.flatMap((team) => team.node.heroes.edges.map((edge) => edge.node));
    expect(heroes.map((hero) => hero.id)).toEqual(wideHeroes.slice(0, parents).map(heroId));
    for (const [t, team] of teams.entries()) {
      expect(team.node.heroes.totalCount).toBe(PER_TEAM);
      for (const hero of team.node.heroes.edges) {
        const both = [wideTeams[t]!, spare].map(teamId);
        expect(hero.node.teams).toEqual({ totalCount: 2, edges: both.map((id) => ({ node: { id } })) });
      }
    }
  });
});

// Aggregates (API.md, "Aggregates over the link"): counts alone read the counters, one statement
// per level as totalCount does; statistics take one statement per level, grouped by parent, in
// which the counts come along. Either adds at most one statement per level, for 1 parent and 100.
describe('aggregates: at most one statement per level', () => {
  const CountsOnly = graphql(`
    query AggregateCounts($first: Int!) {
      teams(first: $first, orderBy: { field: ID }) {
        edges {
          node {
            heroCount
            heroes(first: 2) {
              aggregate {
                count
                trainingCount
              }
              edges {
                node {
                  teamCount
                }
              }
            }
          }
        }
      }
    }
  `);
  const Statistics = graphql(`
    query AggregateStatistics($first: Int!) {
      teams(first: $first, orderBy: { field: ID }) {
        edges {
          node {
            heroes(first: 2, where: { minAge: 21 }) {
              aggregate {
                count
                trainingCount
                age {
                  count
                  min
                  max
                  sum
                  avg
                }
                joinedAt {
                  min
                  max
                }
              }
              edges {
                node {
                  teams(first: 1, isTraining: true) {
                    aggregate {
                      count
                      trainingCount
                      joinedAt {
                        max
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  `);
  const Roots = graphql(`
    query AggregateRoots($first: Int!) {
      heroes(first: $first, where: { teamCount: { gte: 5 } }) {
        aggregate {
          count
          age {
            avg
          }
        }
      }
      teams(first: $first) {
        aggregate {
          count
          heroCount {
            avg
          }
        }
      }
    }
  `);

  it.each([
    ['counts only, under a page of teams: 3 statements', CountsOnly, 3],
    ['statistics at two levels (teams -> heroes -> teams, the last asking no page): 4 statements', Statistics, 4],
    ['root aggregates with statistics: one statement each', Roots, 2],
  ] as [string, TypedDocumentNode<unknown, { first: number }>, number][])(
    '%s, for 1 parent and for 100',
    async (_name, document, expected) => {
      // The cost model's read of the largest list sizes (src/links/sizes.ts), at most every 10 s
      // per list, in the background of whichever request prices a statistic first: done here
      // before the requests counted.
      await ok(document, { first: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const one = await recordSql(() => ok(document, { first: 1 }));
      const hundred = await recordSql(() => ok(document, { first: 100 }));
      expect(one.statements).toHaveLength(expected);
      expect(hundred.statements).toHaveLength(expected);
    },
  );

  it('gives every parent the aggregate of its whole list, never of its page', async () => {
    const { result } = await recordSql(() => ok(Statistics, { first: 100 }));
    const expected = await prisma.$queryRaw<
      { teamId: number; count: number; training: number; min: number; max: number; sum: number; avg: number }[]
    >`
      SELECT l."teamId", count(*)::int AS count, count(*) FILTER (WHERE l."isTraining")::int AS training,
             min(h.age) AS min, max(h.age) AS max, sum(h.age)::int AS sum, avg(h.age)::float8 AS avg
      FROM "HeroTeamLink" l JOIN "Hero" h ON h.id = l."heroId"
      WHERE h.age >= 21 GROUP BY 1 ORDER BY 1`;
    const byTeam = new Map(expected.map((row) => [row.teamId, row]));
    const teams = result.teams.edges;
    expect(teams).toHaveLength(100);
    for (const [i, team] of teams.entries()) {
      const row = byTeam.get(teamIds[i]!);
      const { aggregate } = team.node.heroes;
      expect(aggregate.count).toBe(row?.count ?? 0);
      expect(aggregate.count).toBeGreaterThanOrEqual(team.node.heroes.edges.length);
      expect(aggregate.trainingCount).toBe(row?.training ?? 0);
      expect(aggregate.age).toEqual({
        count: row?.count ?? 0,
        min: row?.min ?? null,
        max: row?.max ?? null,
        sum: row?.sum ?? null,
        avg: row ? expect.closeTo(row.avg, 9) : null,
      });
      for (const hero of team.node.heroes.edges) {
        // isTraining: true: every membership counted is in training.
        expect(hero.node.teams.aggregate.count).toBe(hero.node.teams.aggregate.trainingCount);
      }
    }
  });
});
