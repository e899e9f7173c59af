import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { prisma } from '../src/db';
import { graphql } from './gql';
import { heroId, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { ok, recordSql } from './support/graphql';

// The number of SQL statements of a request follows the depth of the query, never the number of
// objects it returns: every level is one batched statement (plus one per totalCount asked for).

const TEAMS = 100;
const HEROES = 100;
let teamIds: number[] = [];
let heroIds: number[] = [];

beforeAll(async () => {
  await resetDatabase();
  teamIds = await makeTeams(TEAMS);
  heroIds = await makeHeroes(HEROES);
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

describe("a page of a team's heroes", () => {
  it("reads about as many link rows as the page holds, not the team's size", async () => {
    const [giant] = await makeTeams(1, 'Giant');
    const members = await makeHeroes(5000, 'Member');
    await prisma.heroTeamLink.createMany({ data: members.map((hero) => ({ heroId: hero, teamId: giant! })) });
    await prisma.$executeRawUnsafe('ANALYZE');

    const small = await recordSql(() => ok(TeamPage, { id: teamId(teamIds[0]!) }));
    const big = await recordSql(() => ok(TeamPage, { id: teamId(giant!) }));
    expect(big.statements).toHaveLength(small.statements.length);
    expect(big.result.team?.heroes.totalCount).toBe(5000);
    expect(big.result.team?.heroes.edges).toHaveLength(10);

    const pageStatement = big.statements.find((sql) => sql.includes('LATERAL'))!;
    const params = JSON.parse(big.params.find((_, i) => big.statements[i] === pageStatement)!) as unknown[];
    const [plan] = await prisma.$queryRawUnsafe<{ 'QUERY PLAN': unknown }[]>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${pageStatement}`,
      ...params,
    );
    expect(maxLinkRowsRead(plan!['QUERY PLAN'])).toBeLessThanOrEqual(11);
  });
});

/** The most rows any scan of HeroTeamLink produced in one loop, from an EXPLAIN ANALYZE plan. */
function maxLinkRowsRead(plan: unknown): number {
  let most = 0;
  const visit = (node: Record<string, unknown>) => {
    if (node['Relation Name'] === 'HeroTeamLink') {
      most = Math.max(most, Number(node['Actual Rows']) + Number(node['Rows Removed by Filter'] ?? 0));
    }
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
  };
  for (const entry of plan as { Plan: Record<string, unknown> }[]) visit(entry.Plan);
  return most;
}

// The benchmark's queries, verbatim (BENCHMARK.md): their statement counts are targets.
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
