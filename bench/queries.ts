import type { DatasetShape } from './dataset';

// The queries of /work/shared/BENCHMARK.md, each with its SQL floor: one hand-written statement
// returning the same data as JSON (the `data` of the GraphQL answer, as text so the floor's client
// does no parsing), and a check of the answer's shape.

export interface Counts {
  [what: string]: number;
}

export interface BenchQuery {
  key: string;
  label: string;
  graphql: string;
  variables(shape: DatasetShape): Record<string, unknown> | undefined;
  floorSql: string;
  floorParams(shape: DatasetShape): unknown[];
  /** Counts what an answer holds, throwing when it is not what the data set must give. */
  check(data: unknown, shape: DatasetShape): Counts;
}

export function teamGlobalId(id: number): string {
  return Buffer.from(`Team:${id}`).toString('base64');
}

const globalIdSql = (type: string, column: string) => `encode(convert_to('${type}:' || ${column}, 'UTF8'), 'base64')`;

function field(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function list(value: unknown, ...path: (string | number)[]): unknown[] {
  const found = field(value, ...path);
  if (!Array.isArray(found)) throw new Error(`${path.join('.')} is not a list: ${JSON.stringify(found)}`);
  return found;
}

function expectLength(items: unknown[], length: number, what: string): void {
  if (items.length !== length) throw new Error(`Expected ${length} ${what}, got ${items.length}`);
}

function expectString(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${what} is not a string: ${value}`);
}

const Q1 = `query Q1 { heroes(first: 100, orderBy: {field: ID}) { edges { node { id name
  teams(first: 10, orderBy: {field: ID}) { edges { isTraining node { name headquarters } } } } } } }`;

const Q2 = `query Q2 { teams(first: 20, orderBy: {field: ID}) { edges { node { id name
  heroes(first: 50, orderBy: {field: ID}) { edges { node { id name
    teams(first: 10, orderBy: {field: ID}) { edges { node { name } } } } } } } } } }`;

const Q3 = `query Q3($id: ID!) { team(id: $id) { heroes(first: 10) { totalCount edges { node { name } } } } }`;

const q1: BenchQuery = {
  key: 'Q1',
  label: 'Q1: 100 heroes, their teams',
  graphql: Q1,
  variables: () => undefined,
  floorSql: `
    SELECT json_build_object('heroes', json_build_object('edges', coalesce(json_agg(
      json_build_object('node', json_build_object(
        'id', ${globalIdSql('Hero', 'h.id')}, 'name', h.name, 'teams', json_build_object('edges', t.edges)))
      ORDER BY h.id), '[]')))::text AS data
    FROM (SELECT id, name FROM "Hero" ORDER BY id LIMIT 100) h
    CROSS JOIN LATERAL (
      SELECT coalesce(json_agg(json_build_object('isTraining', l."isTraining",
               'node', json_build_object('name', n.name, 'headquarters', n.headquarters)) ORDER BY l."teamId"), '[]') AS edges
      FROM (SELECT "teamId", "isTraining" FROM "HeroTeamLink" WHERE "heroId" = h.id ORDER BY "teamId" LIMIT 10) l
      JOIN "Team" n ON n.id = l."teamId"
    ) t`,
  floorParams: () => [],
  check(data, shape) {
    const heroes = list(data, 'heroes', 'edges');
    expectLength(heroes, Math.min(100, shape.heroes), 'heroes');
    let teams = 0;
    for (const hero of heroes) {
      expectString(field(hero, 'node', 'name'), 'hero name');
      const edges = list(hero, 'node', 'teams', 'edges');
      expectLength(edges, shape.teamsOfFirstHeroes, `teams of hero ${field(hero, 'node', 'id')}`);
      for (const edge of edges) {
        if (typeof field(edge, 'isTraining') !== 'boolean') throw new Error('isTraining is not a boolean');
        expectString(field(edge, 'node', 'headquarters'), 'headquarters');
      }
      teams += edges.length;
    }
    return { heroes: heroes.length, 'team edges': teams };
  },
};

const q2: BenchQuery = {
  key: 'Q2',
  label: 'Q2: 20 teams, 50 heroes each, their teams',
  graphql: Q2,
  variables: () => undefined,
  floorSql: `
    SELECT json_build_object('teams', json_build_object('edges', coalesce(json_agg(
      json_build_object('node', json_build_object(
        'id', ${globalIdSql('Team', 't.id')}, 'name', t.name, 'heroes', json_build_object('edges', hs.edges)))
      ORDER BY t.id), '[]')))::text AS data
    FROM (SELECT id, name FROM "Team" ORDER BY id LIMIT 20) t
    CROSS JOIN LATERAL (
      SELECT coalesce(json_agg(json_build_object('node', json_build_object(
               'id', ${globalIdSql('Hero', 'h.id')}, 'name', h.name, 'teams', json_build_object('edges', ts.edges)))
             ORDER BY h.id), '[]') AS edges
      FROM (SELECT "heroId" FROM "HeroTeamLink" WHERE "teamId" = t.id ORDER BY "heroId" LIMIT 50) l
      JOIN "Hero" h ON h.id = l."heroId"
      CROSS JOIN LATERAL (
        SELECT coalesce(json_agg(json_build_object('node', json_build_object('name', n.name)) ORDER BY l2."teamId"), '[]')
                 AS edges
        FROM (SELECT "teamId" FROM "HeroTeamLink" WHERE "heroId" = h.id ORDER BY "teamId" LIMIT 10) l2
        JOIN "Team" n ON n.id = l2."teamId"
      ) ts
    ) hs`,
  floorParams: () => [],
  check(data, shape) {
    const teams = list(data, 'teams', 'edges');
    expectLength(teams, 20, 'teams');
    let heroes = 0;
    let teamsOfHeroes = 0;
    for (const team of teams) {
      const members = list(team, 'node', 'heroes', 'edges');
      expectLength(members, 50, `heroes of team ${field(team, 'node', 'id')}`);
      for (const hero of members) {
        const edges = list(hero, 'node', 'teams', 'edges');
        expectLength(edges, shape.teamsOfFirstHeroes, `teams of hero ${field(hero, 'node', 'id')}`);
        for (const edge of edges) expectString(field(edge, 'node', 'name'), 'team name');
        teamsOfHeroes += edges.length;
      }
      heroes += members.length;
    }
    return { teams: teams.length, heroes, 'team edges': teamsOfHeroes };
  },
};

function q3(
  key: string,
  label: string,
  teamId: (shape: DatasetShape) => number,
  size: (shape: DatasetShape) => number,
) {
  const query: BenchQuery = {
    key,
    label,
    graphql: Q3,
    variables: (shape) => ({ id: teamGlobalId(teamId(shape)) }),
    // The hand-written statement reads the counter the schema keeps (Team."heroCount"), as the
    // server does: counting 100,000 links would make the floor, not the server, slow.
    floorSql: `
      SELECT json_build_object('team', (
        SELECT json_build_object('heroes', json_build_object(
          'totalCount', t."heroCount",
          'edges', (SELECT coalesce(json_agg(json_build_object('node', json_build_object('name', n.name))
                                    ORDER BY l."heroId"), '[]')
                    FROM (SELECT "heroId" FROM "HeroTeamLink" WHERE "teamId" = t.id ORDER BY "heroId" LIMIT 10) l
                    JOIN "Hero" n ON n.id = l."heroId")))
        FROM "Team" t WHERE t.id = $1))::text AS data`,
    floorParams: (shape) => [teamId(shape)],
    check(data, shape) {
      const total = field(data, 'team', 'heroes', 'totalCount');
      if (total !== size(shape)) throw new Error(`Expected totalCount ${size(shape)}, got ${total}`);
      const heroes = list(data, 'team', 'heroes', 'edges');
      expectLength(heroes, 10, 'heroes');
      for (const hero of heroes) expectString(field(hero, 'node', 'name'), 'hero name');
      return { totalCount: total, heroes: heroes.length };
    },
  };
  return query;
}

export const queries: BenchQuery[] = [
  q1,
  q2,
  q3(
    'Q3',
    'Q3: Giant team (100,000 heroes), first 10',
    (shape) => shape.giantTeamId,
    (shape) => shape.giantSize,
  ),
  q3(
    'Q3n',
    'Q3 on a 50-hero team',
    (shape) => shape.normalTeamId,
    () => 50,
  ),
];

/** The body a client posts for a query. */
export function requestBody(query: BenchQuery, shape: DatasetShape): string {
  const variables = query.variables(shape);
  return JSON.stringify(variables ? { query: query.graphql, variables } : { query: query.graphql });
}
