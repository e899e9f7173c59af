import { prisma } from '../src/db';
import { graphql } from './gql';
import { heroId, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { codes, executeOperation, ok, recordSql } from './support/graphql';

// HeroTeamLink.joinedAt: when a membership began, set by the database; both link connections
// order by it (JOINED_AT), either way, ties broken by the far node's id.

let team: number;
let heroes: number[];
let hero: number;
let teams: number[];

// Seven members of one team, two pairs of them joined at the same instant.
const teamTimes = ['2026-05-01', '2026-03-01', '2026-03-01', '2026-06-01', '2026-01-01', '2026-06-01', '2026-02-01'];
// One hero in five teams.
const heroTimes = ['2025-12-31', '2026-04-01', '2025-12-31', '2026-01-02', '2026-01-01'];

beforeAll(async () => {
  await resetDatabase();
  team = (await makeTeams(1, 'Roster'))[0]!;
  heroes = await makeHeroes(teamTimes.length, 'Member');
  teams = await makeTeams(heroTimes.length, 'Club');
  hero = (await makeHeroes(1, 'Joiner'))[0]!;
  await prisma.heroTeamLink.createMany({
    data: [
      ...heroes.map((h, i) => ({ teamId: team, heroId: h, joinedAt: new Date(`${teamTimes[i]}T12:00:00.250Z`) })),
      ...teams.map((t, i) => ({ teamId: t, heroId: hero, joinedAt: new Date(`${heroTimes[i]}T08:30:00Z`) })),
    ],
  });
});

const TeamHeroesByJoin = graphql(`
  query TeamHeroesByJoin(
    $id: ID!
    $direction: OrderDirection
    $first: Int
    $after: String
    $last: Int
    $before: String
  ) {
    team(id: $id) {
      heroes(
        orderBy: { field: JOINED_AT, direction: $direction }
        first: $first
        after: $after
        last: $last
        before: $before
      ) {
        edges {
          cursor
          joinedAt
          node {
            id
          }
        }
        pageInfo {
          hasNextPage
          hasPreviousPage
          startCursor
          endCursor
        }
      }
    }
  }
`);

const HeroTeamsByJoin = graphql(`
  query HeroTeamsByJoin(
    $id: ID!
    $direction: OrderDirection
    $first: Int
    $after: String
    $last: Int
    $before: String
  ) {
    hero(id: $id) {
      teams(
        orderBy: { field: JOINED_AT, direction: $direction }
        first: $first
        after: $after
        last: $last
        before: $before
      ) {
        edges {
          cursor
          joinedAt
          node {
            id
          }
        }
        pageInfo {
          hasNextPage
          hasPreviousPage
          startCursor
          endCursor
        }
      }
    }
  }
`);

type Connection = {
  edges: { cursor: string; joinedAt: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor?: string | null; endCursor?: string | null };
};

/** The far ids of one parent's memberships in JOINED_AT order, as the database orders them. */
async function expectedOrder(side: 'team' | 'hero', direction: 'ASC' | 'DESC'): Promise<string[]> {
  const links = await prisma.heroTeamLink.findMany({
    where: side === 'team' ? { teamId: team } : { heroId: hero },
    orderBy: side === 'team' ? [{ joinedAt: 'asc' }, { heroId: 'asc' }] : [{ joinedAt: 'asc' }, { teamId: 'asc' }],
  });
  const ids = links.map((l) => (side === 'team' ? heroId(l.heroId) : teamId(l.teamId)));
  return direction === 'ASC' ? ids : ids.reverse();
}

const cases = [
  ['Team.heroes', 'ASC', 'team'],
  ['Team.heroes', 'DESC', 'team'],
  ['Hero.teams', 'ASC', 'hero'],
  ['Hero.teams', 'DESC', 'hero'],
] as const;

describe('ordering a link connection by JOINED_AT', () => {
  it.each(cases)('%s ordered by JOINED_AT %s pages forwards and backwards', async (_, direction, side) => {
    const page = async (vars: { first?: number; after?: string | null; last?: number; before?: string | null }) => {
      if (side === 'team') {
        return (await ok(TeamHeroesByJoin, { id: teamId(team), direction, ...vars })).team!.heroes as Connection;
      }
      return (await ok(HeroTeamsByJoin, { id: heroId(hero), direction, ...vars })).hero!.teams as Connection;
    };
    const expected = await expectedOrder(side, direction);
    const all = await page({});
    expect(all.edges.map((e) => e.node.id)).toEqual(expected);
    const times = all.edges.map((e) => Date.parse(e.joinedAt));
    expect(times).toEqual([...times].sort((a, b) => (direction === 'ASC' ? a - b : b - a)));

    const forward: string[] = [];
    let after: string | null | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const connection = await page({ first: 2, after });
      forward.push(...connection.edges.map((e) => e.node.id));
      expect(connection.pageInfo.hasPreviousPage).toBe(after != null);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(forward).toEqual(expected);

    const backward: string[] = [];
    let before: string | null | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const connection = await page({ last: 2, before });
      backward.unshift(...connection.edges.map((e) => e.node.id));
      expect(connection.pageInfo.hasNextPage).toBe(before != null);
      if (!connection.pageInfo.hasPreviousPage) break;
      before = connection.pageInfo.startCursor;
    }
    expect(backward).toEqual(expected);
  });

  it('gives joinedAt as ISO-8601 in UTC, to the millisecond', async () => {
    const all = (await ok(TeamHeroesByJoin, { id: teamId(team), direction: 'ASC', first: 1 })).team!.heroes;
    expect(all.edges[0]!.joinedAt).toBe('2026-01-01T12:00:00.250Z');
  });

  it('orders the root lists by their own fields only: JOINED_AT there is BAD_USER_INPUT', async () => {
    const response = await executeOperation(
      graphql(`
        query RootByJoin {
          heroes(orderBy: { field: JOINED_AT }) {
            edges {
              node {
                id
              }
            }
          }
        }
      `),
    );
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.message).toContain('Team.heroes');
  });

  it.each([
    ['a cursor of another ordering', () => Buffer.from(JSON.stringify(['ID', heroes[0]])).toString('base64url')],
    ['a text key', () => Buffer.from(JSON.stringify(['JOINED_AT', heroes[0], 'yesterday'])).toString('base64url')],
    ['a key beyond any date', () => Buffer.from(JSON.stringify(['JOINED_AT', heroes[0], 9e15])).toString('base64url')],
    ['a fractional key', () => Buffer.from(JSON.stringify(['JOINED_AT', heroes[0], 1.5])).toString('base64url')],
  ])('refuses %s as BAD_USER_INPUT', async (_, cursor) => {
    const response = await executeOperation(TeamHeroesByJoin, { id: teamId(team), after: cursor() });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('joinedAt is set by the database', () => {
  const Join = graphql(`
    mutation JoinNow($hero: ID!, $team: ID!) {
      addHeroToTeam(input: { heroId: $hero, teamId: $team }) {
        hero {
          teams(orderBy: { field: JOINED_AT, direction: DESC }, first: 1) {
            edges {
              joinedAt
              node {
                id
              }
            }
          }
        }
      }
    }
  `);

  it('when a hero joins: the newest membership, at the time of the join', async () => {
    const [club] = await makeTeams(1, 'Fresh');
    const before = Date.now();
    const data = await ok(Join, { hero: heroId(hero), team: teamId(club!) });
    const after = Date.now();
    const [edge] = data.addHeroToTeam.hero.teams.edges;
    expect(edge!.node.id).toBe(teamId(club!));
    const joined = Date.parse(edge!.joinedAt);
    // The database's clock and ours may differ by a little.
    expect(joined).toBeGreaterThanOrEqual(before - 1_000);
    expect(joined).toBeLessThanOrEqual(after + 1_000);
    const link = await prisma.heroTeamLink.findUnique({ where: { teamId_heroId: { teamId: club!, heroId: hero } } });
    expect(link!.joinedAt.toISOString()).toBe(edge!.joinedAt);
  });

  it('and kept when the membership is added again or changed', async () => {
    const link = { teamId_heroId: { teamId: teams[1]!, heroId: hero } };
    const { joinedAt } = (await prisma.heroTeamLink.findUnique({ where: link }))!;
    await ok(Join, { hero: heroId(hero), team: teamId(teams[1]!) });
    const SetTeams = graphql(`
      mutation KeepJoinedAt($hero: ID!, $teams: [MembershipInput!]!) {
        setHeroTeams(input: { heroId: $hero, teams: $teams }) {
          hero {
            id
          }
        }
      }
    `);
    const current = await prisma.heroTeamLink.findMany({ where: { heroId: hero } });
    await ok(SetTeams, {
      hero: heroId(hero),
      teams: current.map((l) => ({ teamId: teamId(l.teamId), isTraining: !l.isTraining })),
    });
    expect((await prisma.heroTeamLink.findUnique({ where: link }))!.joinedAt).toEqual(joinedAt);
  });
});

describe('joinedAt is read only when asked for', () => {
  graphql(`
    fragment MemberSince on TeamHeroesEdge {
      joinedAt
    }
  `);
  const WithFragments = graphql(`
    query JoinedAtThroughFragments($id: ID!) {
      team(id: $id) {
        spread: heroes(first: 2) {
          edges {
            ...MemberSince
          }
        }
        inline: heroes(first: 2) {
          ... on TeamHeroesConnection {
            edges {
              ... on TeamHeroesEdge {
                joinedAt
              }
            }
          }
        }
        plain: heroes(first: 2) {
          edges {
            node {
              id
            }
          }
        }
      }
    }
  `);

  it('through fragments and aliases, each alias its own way', async () => {
    const { result, statements } = await recordSql(() => ok(WithFragments, { id: teamId(team) }));
    const expected = (
      await prisma.heroTeamLink.findMany({ where: { teamId: team }, orderBy: { heroId: 'asc' }, take: 2 })
    ).map((link) => link.joinedAt.toISOString());
    expect(result.team!.spread.edges.map((e) => e.joinedAt)).toEqual(expected);
    expect(result.team!.inline.edges.map((e) => e.joinedAt)).toEqual(expected);
    expect(result.team!.plain.edges).toHaveLength(2);
    // The two pages that ask for it share one batch; the plain one is read without the column.
    const pages = statements.filter((sql) => sql.includes('LATERAL'));
    expect(pages).toHaveLength(2);
    expect(pages.filter((sql) => sql.includes('"joinedAt"'))).toHaveLength(1);
  });

  it('not at all by a query that does not ask for it (the benchmark queries keep their cost)', async () => {
    const { statements } = await recordSql(() =>
      ok(
        graphql(`
          query WithoutJoinedAt($id: ID!) {
            team(id: $id) {
              heroes(first: 5, orderBy: { field: NAME }) {
                edges {
                  isTraining
                  node {
                    teams(first: 5) {
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
        `),
        { id: teamId(team) },
      ),
    );
    expect(statements).toHaveLength(3);
    expect(statements.filter((sql) => sql.includes('joinedAt'))).toEqual([]);
  });
});
