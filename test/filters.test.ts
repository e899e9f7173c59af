import { prisma } from '../src/db';
import { MAX_FILTER_CONDITIONS, MAX_MEMBERSHIP_DEPTH } from '../src/links/filters';
import { graphql } from './gql';
import type { HeroFilter, TeamFilter } from './gql/graphql';
import { heroId, resetDatabase, teamId } from './support/factories';
import { codes, executeOperation, ok } from './support/graphql';

// The filter language through the link (HeroFilter, TeamFilter), on the tutorial's data:
//   Preventers (P): Deadpond (in training, joined 2026-01-01), Rusty-Man (2026-02-01),
//                   Spider-Boy (in training, 2026-03-01)
//   Z-Force (Z):    Deadpond (2026-01-15)
//   no team:        Tarantula, Black Lion, Dr. Weird, Captain North America
const P = teamId(1);
const Z = teamId(2);

beforeAll(async () => {
  await resetDatabase({ seed: true });
  await prisma.$executeRaw`
    UPDATE "HeroTeamLink" l SET "joinedAt" = v.at::timestamptz
    FROM (VALUES (1, 1, '2026-01-01T00:00:00Z'), (1, 2, '2026-02-01T00:00:00Z'),
                 (1, 3, '2026-03-01T00:00:00Z'), (2, 1, '2026-01-15T00:00:00Z')) AS v(team, hero, at)
    WHERE l."teamId" = v.team AND l."heroId" = v.hero`;
});

const Heroes = graphql(`
  query FilteredHeroes($where: HeroFilter) {
    heroes(first: 50, where: $where) {
      totalCount
      edges {
        node {
          name
        }
      }
    }
  }
`);

const Teams = graphql(`
  query FilteredTeams($where: TeamFilter) {
    teams(first: 50, where: $where) {
      totalCount
      edges {
        node {
          name
        }
      }
    }
  }
`);

async function heroes(where: HeroFilter): Promise<string[]> {
  const data = await ok(Heroes, { where });
  expect(data.heroes.totalCount).toBe(data.heroes.edges.length);
  return data.heroes.edges.map((e) => e.node.name);
}

async function teams(where: TeamFilter): Promise<string[]> {
  const data = await ok(Teams, { where });
  expect(data.teams.totalCount).toBe(data.teams.edges.length);
  return data.teams.edges.map((e) => e.node.name);
}

const noTeam = ['Tarantula', 'Black Lion', 'Dr. Weird', 'Captain North America'];

describe("the examples of the API's additions", () => {
  it('the heroes in both Preventers and Z-Force', async () => {
    expect(
      await heroes({ and: [{ teams: { some: { team: { ids: [P] } } } }, { teams: { some: { team: { ids: [Z] } } } }] }),
    ).toEqual(['Deadpond']);
  });

  it('heroes in no team', async () => {
    expect(await heroes({ teams: { none: {} } })).toEqual(noTeam);
  });

  it('heroes whose every membership is in training (and those with none at all)', async () => {
    expect(await heroes({ teams: { every: { isTraining: true } } })).toEqual(['Spider-Boy', ...noTeam]);
  });

  it("a team's heroes older than 30 ordered by name", async () => {
    const data = await ok(
      graphql(`
        query TeamHeroesOlderThan30($id: ID!) {
          team(id: $id) {
            heroes(where: { minAge: 31 }, orderBy: { field: NAME }) {
              totalCount
              edges {
                node {
                  name
                  age
                }
              }
            }
          }
        }
      `),
      { id: P },
    );
    expect(data.team?.heroes.edges.map((e) => e.node)).toEqual([{ name: 'Rusty-Man', age: 48 }]);
    expect(data.team?.heroes.totalCount).toBe(1);
  });

  it('the 10 most recent members of a team', async () => {
    const data = await ok(
      graphql(`
        query NewestMembers($id: ID!) {
          team(id: $id) {
            heroes(first: 10, orderBy: { field: JOINED_AT, direction: DESC }) {
              edges {
                joinedAt
                node {
                  name
                }
              }
            }
          }
        }
      `),
      { id: P },
    );
    expect(data.team?.heroes.edges).toEqual([
      { joinedAt: '2026-03-01T00:00:00.000Z', node: { name: 'Spider-Boy' } },
      { joinedAt: '2026-02-01T00:00:00.000Z', node: { name: 'Rusty-Man' } },
      { joinedAt: '2026-01-01T00:00:00.000Z', node: { name: 'Deadpond' } },
    ]);
  });

  it('teams that have a hero in training', async () => {
    expect(await teams({ heroes: { some: { isTraining: true } } })).toEqual(['Preventers']);
  });
});

describe('HeroFilter and TeamFilter', () => {
  it('ids keep only those nodes, in the order of the list they filter', async () => {
    expect(await heroes({ ids: [heroId(5), heroId(2), heroId(99)] })).toEqual(['Rusty-Man', 'Black Lion']);
    expect(await heroes({ ids: [] })).toEqual([]);
    expect(await teams({ ids: [Z] })).toEqual(['Z-Force']);
  });

  it('combines sibling fields with AND, and takes and, or and not', async () => {
    expect(await heroes({ minAge: 30, teams: { some: {} } })).toEqual(['Rusty-Man']);
    expect(await heroes({ or: [{ nameContains: 'spider' }, { minAge: 90 }] })).toEqual([
      'Spider-Boy',
      'Captain North America',
    ]);
    expect(await heroes({ and: [] })).toHaveLength(7);
    expect(await heroes({ or: [] })).toEqual([]);
    expect(await teams({ not: { nameContains: 'force' } })).toEqual(['Preventers']);
  });

  it('not keeps the nodes for which the filter does not hold, unknown ages included', async () => {
    // Deadpond and Spider-Boy have no age: "at least 40" does not hold for them.
    expect(await heroes({ not: { minAge: 40 } })).toEqual([
      'Deadpond',
      'Spider-Boy',
      'Tarantula',
      'Black Lion',
      'Dr. Weird',
    ]);
    expect(await heroes({ not: { not: { minAge: 40 } } })).toEqual(['Rusty-Man', 'Captain North America']);
  });

  it('every, some and none together, with conditions on the membership and on the far node', async () => {
    expect(await heroes({ teams: { some: { team: { nameContains: 'prev' } }, none: { isTraining: true } } })).toEqual([
      'Rusty-Man',
    ]);
    expect(await heroes({ teams: { some: {}, every: { team: { ids: [P] } } } })).toEqual(['Rusty-Man', 'Spider-Boy']);
    expect(await teams({ heroes: { every: { hero: { minAge: 40 } } } })).toEqual([]);
    expect(await teams({ heroes: { none: { hero: { nameContains: 'rusty' } } } })).toEqual(['Z-Force']);
  });

  it('joinedAfter and joinedBefore compare when the membership began, both exclusive', async () => {
    expect(await heroes({ teams: { some: { joinedAfter: '2026-01-15T00:00:00Z' } } })).toEqual([
      'Rusty-Man',
      'Spider-Boy',
    ]);
    expect(
      await heroes({
        teams: { some: { joinedAfter: '2026-01-01T00:00:00Z', joinedBefore: '2026-02-01T00:00:00.000Z' } },
      }),
    ).toEqual(['Deadpond']);
    expect(await teams({ heroes: { every: { joinedBefore: '2026-02-01T00:00:00+01:00' } } })).toEqual(['Z-Force']);
  });

  it('nests through the link: heroes in a team that has a hero in training', async () => {
    const inTeamWithTrainee: HeroFilter = { teams: { some: { team: { heroes: { some: { isTraining: true } } } } } };
    expect(await heroes(inTeamWithTrainee)).toEqual(['Deadpond', 'Rusty-Man', 'Spider-Boy']);
    // ...in a team where Spider-Boy is in training, Spider-Boy himself left out.
    expect(
      await heroes({
        teams: { some: { team: { heroes: { some: { isTraining: true, hero: { nameContains: 'spider' } } } } } },
        not: { nameContains: 'spider' },
      }),
    ).toEqual(['Deadpond', 'Rusty-Man']);
  });

  it(`nests at most ${MAX_MEMBERSHIP_DEPTH} membership levels; deeper is BAD_USER_INPUT naming the limit`, async () => {
    const three: HeroFilter = {
      teams: { some: { team: { heroes: { some: { hero: { teams: { some: { isTraining: true } } } } } } } },
    };
    expect(await heroes(three)).toEqual(['Deadpond', 'Rusty-Man', 'Spider-Boy']);
    const four: HeroFilter = {
      teams: {
        some: { team: { heroes: { some: { hero: { teams: { some: { team: { heroes: { none: {} } } } } } } } } },
      },
    };
    const response = await executeOperation(Heroes, { where: four });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.message).toContain(`at most ${MAX_MEMBERSHIP_DEPTH} membership levels`);
  });

  it(`holds at most ${MAX_FILTER_CONDITIONS} conditions`, async () => {
    const many = Array.from({ length: MAX_FILTER_CONDITIONS + 1 }, (_, i) => ({ nameContains: `x${i}` }));
    const response = await executeOperation(Heroes, { where: { or: many } });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.message).toContain(`at most ${MAX_FILTER_CONDITIONS} conditions`);
    expect(await heroes({ or: many.slice(1) })).toEqual([]);
  });

  it.each([
    ['an id of the other type', { ids: [P] }, 'expected the id of a Hero'],
    ['a malformed id', { ids: ['not-an-id'] }, 'Invalid id'],
    ['a far node id of the other type', { teams: { some: { team: { ids: [heroId(1)] } } } }, 'id of a Team'],
    ['a date without a time zone', { teams: { some: { joinedAfter: '2026-01-01T00:00:00' } } }, 'DateTime'],
    ['a NUL in nameContains', { nameContains: 'a\u0000b' }, 'NUL'],
  ] as [string, HeroFilter, string][])('refuses %s as BAD_USER_INPUT', async (_, where, message) => {
    const response = await executeOperation(Heroes, { where });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.message).toContain(message);
  });

  it('works the same written inline in the document as passed in variables', async () => {
    const data = await ok(
      graphql(`
        query InlineFilter {
          heroes(where: { teams: { every: { isTraining: true } }, not: { teams: { none: {} } } }) {
            edges {
              node {
                name
              }
            }
          }
          teams(where: { heroes: { some: { hero: { ids: ["SGVybzoy"] } } } }) {
            edges {
              node {
                name
              }
            }
          }
        }
      `),
    );
    expect(data.heroes.edges.map((e) => e.node.name)).toEqual(['Spider-Boy']);
    expect(data.teams.edges.map((e) => e.node.name)).toEqual(['Preventers']);
  });
});

const HeroTeams = graphql(`
  query FilteredHeroTeams($id: ID!, $where: TeamFilter, $isTraining: Boolean, $first: Int, $after: String) {
    hero(id: $id) {
      teams(where: $where, isTraining: $isTraining, first: $first, after: $after) {
        totalCount
        edges {
          cursor
          node {
            name
          }
        }
        pageInfo {
          hasNextPage
        }
      }
    }
  }
`);

const TeamHeroes = graphql(`
  query FilteredTeamHeroes($id: ID!, $where: HeroFilter, $isTraining: Boolean, $first: Int, $after: String) {
    team(id: $id) {
      heroes(where: $where, isTraining: $isTraining, first: $first, after: $after) {
        totalCount
        edges {
          cursor
          isTraining
          node {
            name
          }
        }
        pageInfo {
          hasNextPage
        }
      }
    }
  }
`);

describe('filters on the link connections (Hero.teams, Team.heroes)', () => {
  it('filter the far side; totalCount counts the filtered list', async () => {
    const deadpond = await ok(HeroTeams, { id: heroId(1), where: { nameContains: 'force' } });
    expect(deadpond.hero?.teams.edges.map((e) => e.node.name)).toEqual(['Z-Force']);
    expect(deadpond.hero?.teams.totalCount).toBe(1);

    const preventers = await ok(TeamHeroes, { id: P, where: { not: { ids: [heroId(2)] } } });
    expect(preventers.team?.heroes.edges.map((e) => e.node.name)).toEqual(['Deadpond', 'Spider-Boy']);
    expect(preventers.team?.heroes.totalCount).toBe(2);
  });

  it('combine with isTraining, and count both', async () => {
    const data = await ok(TeamHeroes, { id: P, isTraining: true, where: { teams: { some: { team: { ids: [Z] } } } } });
    expect(data.team?.heroes.edges.map((e) => [e.node.name, e.isTraining])).toEqual([['Deadpond', true]]);
    expect(data.team?.heroes.totalCount).toBe(1);
    const untrained = await ok(TeamHeroes, { id: P, isTraining: false, where: { nameContains: 'e' } });
    expect(untrained.team?.heroes.edges.map((e) => e.node.name)).toEqual([]);
    expect(untrained.team?.heroes.totalCount).toBe(0);
  });

  it('page through a filtered list with cursors', async () => {
    const where = { nameContains: 'e' }; // Deadpond, Spider-Boy
    const first = await ok(TeamHeroes, { id: P, where, first: 1 });
    expect(first.team?.heroes.edges.map((e) => e.node.name)).toEqual(['Deadpond']);
    expect(first.team?.heroes.pageInfo.hasNextPage).toBe(true);
    const next = await ok(TeamHeroes, { id: P, where, first: 1, after: first.team!.heroes.edges[0]!.cursor });
    expect(next.team?.heroes.edges.map((e) => e.node.name)).toEqual(['Spider-Boy']);
    expect(next.team?.heroes.pageInfo.hasNextPage).toBe(false);
    expect(next.team?.heroes.totalCount).toBe(2);
  });

  it('take membership filters of the far node, nested', async () => {
    // Preventers' heroes who are also in a team without trainees (Z-Force has none).
    const data = await ok(TeamHeroes, {
      id: P,
      where: { teams: { some: { team: { heroes: { every: { isTraining: false } } } } } },
    });
    expect(data.team?.heroes.edges.map((e) => e.node.name)).toEqual(['Deadpond']);
  });
});
