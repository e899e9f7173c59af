import { graphql } from './gql';
import { codes, executeOperation, ok } from './support/graphql';
import { heroId, resetDatabase, teamId } from './support/factories';

beforeAll(() => resetDatabase({ seed: true }));

const HeroesQuery = graphql(`
  query Heroes($first: Int, $after: String, $last: Int, $before: String, $where: HeroFilter, $orderBy: HeroOrder) {
    heroes(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {
      totalCount
      edges {
        cursor
        node {
          id
          name
          age
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
`);

const TeamsQuery = graphql(`
  query Teams($first: Int, $after: String, $where: TeamFilter, $orderBy: TeamOrder) {
    teams(first: $first, after: $after, where: $where, orderBy: $orderBy) {
      totalCount
      edges {
        node {
          id
          name
          headquarters
        }
      }
    }
  }
`);

const names = (data: { heroes: { edges: { node: { name: string } }[] } }) => data.heroes.edges.map((e) => e.node.name);

describe('Query.heroes', () => {
  it('lists heroes by id by default, with the total count', async () => {
    const data = await ok(HeroesQuery, {});
    expect(names(data)).toEqual([
      'Deadpond',
      'Rusty-Man',
      'Spider-Boy',
      'Tarantula',
      'Black Lion',
      'Dr. Weird',
      'Captain North America',
    ]);
    expect(data.heroes.totalCount).toBe(7);
    expect(data.heroes.edges[0]?.node.id).toBe(heroId(1));
    expect(data.heroes.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it('orders by name and by age, both directions, unknown ages last going up', async () => {
    expect(names(await ok(HeroesQuery, { orderBy: { field: 'NAME', direction: 'DESC' }, first: 3 }))).toEqual([
      'Tarantula',
      'Spider-Boy',
      'Rusty-Man',
    ]);
    expect(names(await ok(HeroesQuery, { orderBy: { field: 'AGE' } }))).toEqual([
      'Tarantula',
      'Black Lion',
      'Dr. Weird',
      'Rusty-Man',
      'Captain North America',
      'Deadpond',
      'Spider-Boy',
    ]);
    expect(names(await ok(HeroesQuery, { orderBy: { field: 'AGE', direction: 'DESC' } }))).toEqual([
      'Spider-Boy',
      'Deadpond',
      'Captain North America',
      'Rusty-Man',
      'Dr. Weird',
      'Black Lion',
      'Tarantula',
    ]);
  });

  it.each([
    ['ID', 'ASC'],
    ['ID', 'DESC'],
    ['NAME', 'ASC'],
    ['NAME', 'DESC'],
    ['AGE', 'ASC'],
    ['AGE', 'DESC'],
  ] as const)('pages forwards and backwards through every hero ordered by %s %s', async (field, direction) => {
    const orderBy = { field, direction };
    const all = names(await ok(HeroesQuery, { orderBy }));
    const forward: string[] = [];
    let after: string | null | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const data = await ok(HeroesQuery, { orderBy, first: 2, after });
      forward.push(...names(data));
      expect(data.heroes.pageInfo.hasPreviousPage).toBe(after != null);
      if (!data.heroes.pageInfo.hasNextPage) break;
      after = data.heroes.pageInfo.endCursor;
    }
    expect(forward).toEqual(all);

    const backward: string[] = [];
    let before: string | null | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const data = await ok(HeroesQuery, { orderBy, last: 3, before });
      backward.unshift(...names(data));
      expect(data.heroes.pageInfo.hasNextPage).toBe(before != null);
      if (!data.heroes.pageInfo.hasPreviousPage) break;
      before = data.heroes.pageInfo.startCursor;
    }
    expect(backward).toEqual(all);
  });

  it('pages between two cursors', async () => {
    const all = await ok(HeroesQuery, { orderBy: { field: 'NAME' } });
    const after = all.heroes.edges[1]!.cursor;
    const before = all.heroes.edges[5]!.cursor;
    expect(names(await ok(HeroesQuery, { orderBy: { field: 'NAME' }, after, before }))).toEqual(names(all).slice(2, 5));
  });

  it('filters by name and age; the count follows the filter, not the page', async () => {
    const data = await ok(HeroesQuery, { where: { nameContains: 'MAN' }, first: 1 });
    expect(names(data)).toEqual(['Rusty-Man']);
    expect(data.heroes.totalCount).toBe(1);
    const adults = await ok(HeroesQuery, { where: { minAge: 35, maxAge: 48 }, orderBy: { field: 'AGE' } });
    expect(names(adults)).toEqual(['Black Lion', 'Dr. Weird', 'Rusty-Man']);
    expect(adults.heroes.totalCount).toBe(3);
  });

  it('treats LIKE wildcards in nameContains as plain text', async () => {
    const data = await ok(HeroesQuery, { where: { nameContains: '%' } });
    expect(data.heroes.totalCount).toBe(0);
    expect(names(await ok(HeroesQuery, { where: { nameContains: '_' } }))).toEqual([]);
    expect(names(await ok(HeroesQuery, { where: { nameContains: '.' } }))).toEqual(['Dr. Weird']);
  });

  it.each([
    [{ first: -1 }, 'non-negative'],
    [{ first: 101 }, 'at most 100'],
    [{ first: 1, last: 1 }, 'not both'],
    [{ after: 'not-a-cursor' }, 'cursor'],
  ])('rejects bad paging arguments %j', async (variables, message) => {
    const response = await executeOperation(HeroesQuery, variables);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.message).toContain(message);
  });

  it('rejects a cursor made for another ordering', async () => {
    const byName = await ok(HeroesQuery, { orderBy: { field: 'NAME' }, first: 1 });
    const response = await executeOperation(HeroesQuery, {
      orderBy: { field: 'AGE' },
      after: byName.heroes.pageInfo.endCursor,
    });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('Query.teams', () => {
  it('lists, filters and orders teams', async () => {
    const data = await ok(TeamsQuery, { orderBy: { field: 'NAME', direction: 'DESC' } });
    expect(data.teams.edges.map((e) => e.node.name)).toEqual(['Z-Force', 'Preventers']);
    expect(data.teams.totalCount).toBe(2);
    const filtered = await ok(TeamsQuery, { where: { nameContains: 'force' } });
    expect(filtered.teams.edges.map((e) => e.node)).toEqual([
      { id: teamId(2), name: 'Z-Force', headquarters: "Sister Margaret's Bar" },
    ]);
  });
});

const HeroWithTeams = graphql(`
  query HeroWithTeams($id: ID!, $isTraining: Boolean, $orderBy: TeamOrder, $first: Int, $after: String) {
    hero(id: $id) {
      id
      name
      secretName
      age
      teams(isTraining: $isTraining, orderBy: $orderBy, first: $first, after: $after) {
        totalCount
        edges {
          isTraining
          node {
            id
            name
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

const TeamWithHeroes = graphql(`
  query TeamWithHeroes($id: ID!, $isTraining: Boolean, $orderBy: HeroOrder, $last: Int, $before: String) {
    team(id: $id) {
      name
      headquarters
      heroes(isTraining: $isTraining, orderBy: $orderBy, last: $last, before: $before) {
        totalCount
        edges {
          isTraining
          node {
            name
          }
        }
        pageInfo {
          hasPreviousPage
          startCursor
        }
      }
    }
  }
`);

describe('Hero.teams and Team.heroes through HeroTeamLink', () => {
  it("gives a hero's teams with the link's isTraining on each edge", async () => {
    const data = await ok(HeroWithTeams, { id: heroId(1) });
    expect(data.hero).toMatchObject({ name: 'Deadpond', secretName: 'Dive Wilson', age: null });
    expect(data.hero?.teams.totalCount).toBe(2);
    expect(data.hero?.teams.edges).toEqual([
      { isTraining: true, node: { id: teamId(1), name: 'Preventers' } },
      { isTraining: false, node: { id: teamId(2), name: 'Z-Force' } },
    ]);
  });

  it('filters memberships by isTraining, and counts what the filter keeps', async () => {
    const data = await ok(HeroWithTeams, { id: heroId(1), isTraining: false });
    expect(data.hero?.teams.edges.map((e) => e.node.name)).toEqual(['Z-Force']);
    expect(data.hero?.teams.totalCount).toBe(1);
  });

  it('orders and pages the link', async () => {
    const first = await ok(HeroWithTeams, { id: heroId(1), orderBy: { field: 'NAME', direction: 'DESC' }, first: 1 });
    expect(first.hero?.teams.edges.map((e) => e.node.name)).toEqual(['Z-Force']);
    expect(first.hero?.teams.pageInfo.hasNextPage).toBe(true);
    const second = await ok(HeroWithTeams, {
      id: heroId(1),
      orderBy: { field: 'NAME', direction: 'DESC' },
      first: 1,
      after: first.hero?.teams.pageInfo.endCursor,
    });
    expect(second.hero?.teams.edges.map((e) => e.node.name)).toEqual(['Preventers']);
    expect(second.hero?.teams.pageInfo.hasNextPage).toBe(false);
  });

  it("gives a team's heroes, paged backwards from the end", async () => {
    const data = await ok(TeamWithHeroes, { id: teamId(1), last: 2 });
    expect(data.team).toMatchObject({ name: 'Preventers', headquarters: 'Sharp Tower' });
    expect(data.team?.heroes.totalCount).toBe(3);
    expect(data.team?.heroes.edges).toEqual([
      { isTraining: false, node: { name: 'Rusty-Man' } },
      { isTraining: true, node: { name: 'Spider-Boy' } },
    ]);
    expect(data.team?.heroes.pageInfo.hasPreviousPage).toBe(true);
    const rest = await ok(TeamWithHeroes, { id: teamId(1), last: 2, before: data.team?.heroes.pageInfo.startCursor });
    expect(rest.team?.heroes.edges.map((e) => e.node.name)).toEqual(['Deadpond']);
    expect(rest.team?.heroes.pageInfo.hasPreviousPage).toBe(false);
  });

  it("orders a team's heroes by id both ways, and pages backwards in either direction", async () => {
    const page = async (direction: 'ASC' | 'DESC', last?: number) =>
      (await ok(TeamWithHeroes, { id: teamId(1), orderBy: { field: 'ID', direction }, last })).team!.heroes.edges.map(
        (e) => e.node.name,
      );
    expect(await page('DESC')).toEqual(['Spider-Boy', 'Rusty-Man', 'Deadpond']);
    expect(await page('DESC', 2)).toEqual(['Rusty-Man', 'Deadpond']);
    expect(await page('ASC', 2)).toEqual(['Rusty-Man', 'Spider-Boy']);
  });

  it('gives an empty connection for a hero without teams', async () => {
    const data = await ok(HeroWithTeams, { id: heroId(4) });
    expect(data.hero?.teams).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });
});

const NodeQuery = graphql(`
  query Node($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Hero {
        name
      }
      ... on Team {
        headquarters
      }
    }
  }
`);

const NodesQuery = graphql(`
  query Nodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      __typename
      id
    }
  }
`);

describe('global ids and lookups', () => {
  it('finds heroes and teams by global id through node, nodes, hero and team', async () => {
    expect((await ok(NodeQuery, { id: heroId(2) })).node).toEqual({
      __typename: 'Hero',
      id: heroId(2),
      name: 'Rusty-Man',
    });
    expect((await ok(NodeQuery, { id: teamId(2) })).node).toEqual({
      __typename: 'Team',
      id: teamId(2),
      headquarters: "Sister Margaret's Bar",
    });
    const nodes = await ok(NodesQuery, { ids: [teamId(1), heroId(3), heroId(99)] });
    expect(nodes.nodes).toEqual([{ __typename: 'Team', id: teamId(1) }, { __typename: 'Hero', id: heroId(3) }, null]);
  });

  it('answers null for ids of objects that do not exist', async () => {
    expect((await ok(HeroWithTeams, { id: heroId(12345) })).hero).toBeNull();
    expect((await ok(NodeQuery, { id: teamId(999) })).node).toBeNull();
  });

  it.each([
    ['a team id where a hero id belongs', teamId(1)],
    ['an id that is not base64 of Type:id', 'definitely not an id'],
    ['a non-numeric database id', heroId('abc' as unknown as number)],
    ['a database id beyond int4', heroId(2 ** 31)],
    ['an empty id', ''],
  ])('rejects %s as BAD_USER_INPUT', async (_what, id) => {
    const response = await executeOperation(HeroWithTeams, { id });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.data?.hero ?? null).toBeNull();
  });

  it.each([
    ['an id that is not base64 of Type:id', 'xyz'],
    ['a forged id of an unknown type', Buffer.from('Villain:1').toString('base64')],
    ['a forged id with a bad number', Buffer.from('Hero:-1').toString('base64')],
  ])('node rejects %s as BAD_USER_INPUT', async (_what, id) => {
    const response = await executeOperation(NodeQuery, { id });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });
});
