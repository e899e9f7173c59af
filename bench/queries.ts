import type { DatasetShape } from './dataset';

// The benchmark's queries (see bench/README.md), each with its SQL floor: one hand-written
// statement returning the same data as JSON (the `data` of the GraphQL answer, as text so the
// floor's client does no parsing), a check of the answer's shape, and the same request in the
// dialect of the peer (PostGraphile 5 with pg-many-to-many, `npm run bench -- --peer`).
//
// Q1  100 heroes by id, each with its first 10 teams by id (isTraining, name, headquarters)
// Q2  20 teams by id x their first 50 heroes by id x each hero's first 10 teams by id
// Q3  the Giant team's (100,000 heroes) first 10 heroes, with totalCount; again on a 50-hero team
// Q5  20 teams by id x their first 50 heroes ordered by NAME (isTraining, id, name, age)
// Q6  the Giant team's first 10 heroes ordered by NAME, with totalCount
// Q7  the Giant team's first 10 heroes ordered by NAME, without totalCount
// Q8  the Giant team's first 10 heroes ordered by AGE desc (isTraining, name, age), without totalCount
// Q9  the 5 biggest teams (HERO_COUNT desc): head count, trainees, their heroes' average age and
//     first 5 heroes (the peer with @graphile/pg-aggregates)
// Q10 a 50-hero team by id (name, headquarters) with its first 5 heroes by id
// Q11 a hero by id (name, secretName, age) with its first 10 teams by id (isTraining, id, name)
// Ties in NAME break by id ascending; ties in HERO_COUNT desc and AGE desc by id descending. Going
// down by AGE, unknown ages come first (NULL is the largest value, as PostgreSQL orders DESC).

export interface Counts {
  [what: string]: number;
}

/** Whose GraphQL a request is written in: the project's or the peer's (PostGraphile). */
export type Dialect = 'ours' | 'peer';

export interface BenchQuery {
  key: string;
  label: string;
  graphql: string;
  /** The same request in the peer's dialect (see normalizeAnswer for how its answer maps to ours). */
  peerGraphql: string;
  /**
   * The peer's `data` moved into our answer's shape where renaming fields is not enough (Q9: its
   * counts and average sit elsewhere); normalizeAnswer then renames the fields.
   */
  peerReshape?(data: unknown): unknown;
  variables(shape: DatasetShape, dialect: Dialect): Record<string, unknown> | undefined;
  floorSql: string;
  floorParams(shape: DatasetShape): unknown[];
  /**
   * Why the query reads whole lists as big as a table (a statistic over the Giant team, which
   * holds every hero): its full scans are listed under the targets, not counted against them.
   */
  wholeLists?: string;
  /** Counts what an answer holds, throwing when it is not what the data set must give. */
  check(data: unknown, shape: DatasetShape): Counts;
}

export function teamGlobalId(id: number): string {
  return Buffer.from(`Team:${id}`).toString('base64');
}

export function heroGlobalId(id: number): string {
  return Buffer.from(`Hero:${id}`).toString('base64');
}

/** The peer's global id of a row: base64 of the JSON array [type, id]. */
export function peerNodeId(type: string, id: number): string {
  return Buffer.from(JSON.stringify([type, id])).toString('base64');
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

const Q5 = `query Q5 { teams(first: 20, orderBy: {field: ID}) { edges { node { name
  heroes(first: 50, orderBy: {field: NAME}) { edges { isTraining node { id name age } } } } } } }`;

const Q6 = `query Q6($id: ID!) { team(id: $id) { heroes(first: 10, orderBy: {field: NAME}) { totalCount edges { node { name } } } } }`;

const Q7 = `query Q7($id: ID!) { team(id: $id) { heroes(first: 10, orderBy: {field: NAME}) { edges { node { name } } } } }`;

const Q8 = `query Q8($id: ID!) { team(id: $id) {
  heroes(first: 10, orderBy: {field: AGE, direction: DESC}) { edges { isTraining node { name age } } } } }`;

const Q9 = `query Q9 { teams(first: 5, orderBy: {field: HERO_COUNT, direction: DESC}) { edges { node { id name heroCount trainingHeroCount
  heroes(first: 5) { aggregate { age { avg } } edges { node { id name } } } } } } }`;

const Q10 = `query Q10($id: ID!) { team(id: $id) { name headquarters heroes(first: 5) { edges { node { id name } } } } }`;

const Q11 = `query Q11($id: ID!) { hero(id: $id) { name secretName age
  teams(first: 10) { edges { isTraining node { id name } } } } }`;

// The peer's dialect: allHeroes/allTeams for the root lists, rowId for the database id, the link
// as teamsByHeroTeamLinkHeroIdAndTeamId / heroesByHeroTeamLinkTeamIdAndHeroId, whose edges carry
// the link's columns (isTraining) and whose orderBy takes the far table's columns; NAME ties are
// broken by ROW_ID_ASC, as ours breaks them by id.
const peerQ1 = `query Q1 { allHeroes(first: 100, orderBy: ROW_ID_ASC) { edges { node { rowId name
  teamsByHeroTeamLinkHeroIdAndTeamId(first: 10, orderBy: ROW_ID_ASC) { edges { isTraining node { name headquarters } } } } } } }`;

const peerQ2 = `query Q2 { allTeams(first: 20, orderBy: ROW_ID_ASC) { edges { node { rowId name
  heroesByHeroTeamLinkTeamIdAndHeroId(first: 50, orderBy: ROW_ID_ASC) { edges { node { rowId name
    teamsByHeroTeamLinkHeroIdAndTeamId(first: 10, orderBy: ROW_ID_ASC) { edges { node { name } } } } } } } } } }`;

const peerQ3 = `query Q3($id: ID!) { team(id: $id) { heroesByHeroTeamLinkTeamIdAndHeroId(first: 10) { totalCount edges { node { name } } } } }`;

const peerQ5 = `query Q5 { allTeams(first: 20, orderBy: ROW_ID_ASC) { edges { node { name
  heroesByHeroTeamLinkTeamIdAndHeroId(first: 50, orderBy: [NAME_ASC, ROW_ID_ASC]) { edges { isTraining node { rowId name age } } } } } } }`;

const peerQ6 = `query Q6($id: ID!) { team(id: $id) { heroesByHeroTeamLinkTeamIdAndHeroId(first: 10, orderBy: [NAME_ASC, ROW_ID_ASC]) { totalCount edges { node { name } } } } }`;

const peerQ7 = `query Q7($id: ID!) { team(id: $id) { heroesByHeroTeamLinkTeamIdAndHeroId(first: 10, orderBy: [NAME_ASC, ROW_ID_ASC]) { edges { node { name } } } } }`;

// AGE_DESC without a NULLS clause: PostgreSQL's default for DESC, NULLS FIRST, as ours orders unknown
// ages first going down; ROW_ID_DESC breaks ties as ours breaks AGE desc by id descending.
const peerQ8 = `query Q8($id: ID!) { team(id: $id) {
  heroesByHeroTeamLinkTeamIdAndHeroId(first: 10, orderBy: [AGE_DESC, ROW_ID_DESC]) { edges { isTraining node { name age } } } } }`;

// Q9 with @graphile/pg-aggregates: teams ordered by the count of their links (its orderBy value
// for the HeroTeamLink relation), ties by ROW_ID_DESC as ours break HERO_COUNT DESC by id
// descending; the head count as the link connection's totalCount and the average age as its
// `aggregates`, both over the whole list as ours; the trainees as the totalCount of the team's
// links with isTraining (a condition PostGraphile leaves out for a column no index leads with;
// bench/peer/server.mjs adds it back). The peer counts everything it answers, as in Q3; ours reads
// the counters Team.heroCount and Team.trainingHeroCount.
const peerQ9 = `query Q9 { allTeams(first: 5, orderBy: [HERO_TEAM_LINKS_BY_TEAM_ID_COUNT_DESC, ROW_ID_DESC]) { edges { node { rowId name
  heroesByHeroTeamLinkTeamIdAndHeroId(first: 5, orderBy: ROW_ID_ASC) { totalCount aggregates { average { age } } edges { node { rowId name } } }
  heroTeamLinksByTeamId(condition: {isTraining: true}) { totalCount } } } } }`;

// Ours orders a link connection without orderBy by id; the peer is told so (ROW_ID_ASC), as in Q9.
const peerQ10 = `query Q10($id: ID!) { team(id: $id) { name headquarters
  heroesByHeroTeamLinkTeamIdAndHeroId(first: 5, orderBy: ROW_ID_ASC) { edges { node { rowId name } } } } }`;

const peerQ11 = `query Q11($id: ID!) { hero(id: $id) { name secretName age
  teamsByHeroTeamLinkHeroIdAndTeamId(first: 10, orderBy: ROW_ID_ASC) { edges { isTraining node { rowId name } } } } }`;

/** Variables of the queries that name one team ($id): its global id in either dialect. */
const teamVariable = (id: number, dialect: Dialect) => ({
  id: dialect === 'ours' ? teamGlobalId(id) : peerNodeId('Team', id),
});

/** Variables of the queries that name one hero ($id): its global id in either dialect. */
const heroVariable = (id: number, dialect: Dialect) => ({
  id: dialect === 'ours' ? heroGlobalId(id) : peerNodeId('Hero', id),
});

const q1: BenchQuery = {
  key: 'Q1',
  label: 'Q1: 100 heroes, their teams',
  graphql: Q1,
  peerGraphql: peerQ1,
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
  peerGraphql: peerQ2,
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
    peerGraphql: peerQ3,
    variables: (shape, dialect) => teamVariable(teamId(shape), dialect),
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

const q5: BenchQuery = {
  key: 'Q5',
  label: 'Q5: 20 teams, 50 heroes each by name',
  graphql: Q5,
  peerGraphql: peerQ5,
  variables: () => undefined,
  floorSql: `
    SELECT json_build_object('teams', json_build_object('edges', coalesce(json_agg(
      json_build_object('node', json_build_object('name', t.name, 'heroes', json_build_object('edges', hs.edges)))
      ORDER BY t.id), '[]')))::text AS data
    FROM (SELECT id, name FROM "Team" ORDER BY id LIMIT 20) t
    CROSS JOIN LATERAL (
      SELECT coalesce(json_agg(json_build_object('isTraining', m."isTraining", 'node', json_build_object(
               'id', ${globalIdSql('Hero', 'm.id')}, 'name', m.name, 'age', m.age)) ORDER BY m.name, m.id), '[]') AS edges
      -- The team's links, then each hero by its key, behind OFFSET 0: without it, at S = 1,000
      -- PostgreSQL expects 1,040 links per team (the Giant team's skew) and walks or hash-joins
      -- all 100,000 heroes for each team.
      FROM (SELECT l."isTraining", h.id, h.name, h.age
            FROM (SELECT * FROM "HeroTeamLink" l WHERE l."teamId" = t.id OFFSET 0) l
            CROSS JOIN LATERAL (SELECT * FROM "Hero" h WHERE h.id = l."heroId" OFFSET 0) h
            ORDER BY h.name, h.id LIMIT 50) m
    ) hs`,
  floorParams: () => [],
  check(data) {
    const teams = list(data, 'teams', 'edges');
    expectLength(teams, 20, 'teams');
    let heroes = 0;
    let training = 0;
    for (const team of teams) {
      const members = list(team, 'node', 'heroes', 'edges');
      expectLength(members, 50, `heroes of team ${field(team, 'node', 'name')}`);
      for (const edge of members) {
        const isTraining = field(edge, 'isTraining');
        if (typeof isTraining !== 'boolean') throw new Error('isTraining is not a boolean');
        if (isTraining) training++;
        expectString(field(edge, 'node', 'name'), 'hero name');
        const age = field(edge, 'node', 'age');
        if (age !== null && typeof age !== 'number') throw new Error(`age is not a number or null: ${age}`);
      }
      heroes += members.length;
    }
    return { teams: teams.length, heroes, 'in training': training };
  },
};

/**
 * The Giant team's first 10 heroes by NAME, with totalCount (Q6) or without it (Q7). The team's id
 * is the statement's parameter, not the outer row's column: PostgreSQL then plans the page for this
 * team (walk the index on Hero.name, probe the link for each hero) instead of a plan for an
 * average team (read the team's 100,000 links, sort them).
 */
function giantByName(key: string, label: string, graphql: string, peerGraphql: string, totalCount: boolean) {
  const counted = totalCount ? `'totalCount', t."heroCount",` : '';
  const query: BenchQuery = {
    key,
    label,
    graphql,
    peerGraphql,
    variables: (shape, dialect) => teamVariable(shape.giantTeamId, dialect),
    floorSql: `
    SELECT json_build_object('team', (
      SELECT json_build_object('heroes', json_build_object(${counted}
        'edges', (SELECT coalesce(json_agg(json_build_object('node', json_build_object('name', m.name))
                                  ORDER BY m.name, m.id), '[]')
                  FROM (SELECT h.id, h.name FROM "HeroTeamLink" l JOIN "Hero" h ON h.id = l."heroId"
                        WHERE l."teamId" = $1 ORDER BY h.name, h.id LIMIT 10) m)))
      FROM "Team" t WHERE t.id = $1))::text AS data`,
    floorParams: (shape) => [shape.giantTeamId],
    check(data, shape): Counts {
      const heroes = list(data, 'team', 'heroes', 'edges');
      expectLength(heroes, 10, 'heroes');
      for (const hero of heroes) expectString(field(hero, 'node', 'name'), 'hero name');
      if (!totalCount) return { heroes: heroes.length };
      const total = field(data, 'team', 'heroes', 'totalCount');
      if (total !== shape.giantSize) throw new Error(`Expected totalCount ${shape.giantSize}, got ${total}`);
      return { totalCount: total, heroes: heroes.length };
    },
  };
  return query;
}

const q6 = giantByName('Q6', 'Q6: Giant team, first 10 by name', Q6, peerQ6, true);
const q7 = giantByName('Q7', 'Q7: Giant team, first 10 by name, no totalCount', Q7, peerQ7, false);

const q8: BenchQuery = {
  key: 'Q8',
  label: 'Q8: Giant team, first 10 by age desc, isTraining',
  graphql: Q8,
  peerGraphql: peerQ8,
  variables: (shape, dialect) => teamVariable(shape.giantTeamId, dialect),
  // As Q7's, by age going down: NULLs first (PostgreSQL's DESC, as ours), ties by id descending.
  floorSql: `
    SELECT json_build_object('team', (
      SELECT json_build_object('heroes', json_build_object(
        'edges', (SELECT coalesce(json_agg(json_build_object('isTraining', m."isTraining",
                                    'node', json_build_object('name', m.name, 'age', m.age))
                                  ORDER BY m.age DESC, m.id DESC), '[]')
                  FROM (SELECT l."isTraining", h.id, h.name, h.age FROM "HeroTeamLink" l JOIN "Hero" h ON h.id = l."heroId"
                        WHERE l."teamId" = $1 ORDER BY h.age DESC, h.id DESC LIMIT 10) m)))
      FROM "Team" t WHERE t.id = $1))::text AS data`,
  floorParams: (shape) => [shape.giantTeamId],
  check(data) {
    const heroes = list(data, 'team', 'heroes', 'edges');
    expectLength(heroes, 10, 'heroes');
    let unknown = 0;
    let training = 0;
    let previous: number | null = null;
    heroes.forEach((edge, i) => {
      const isTraining = field(edge, 'isTraining');
      if (typeof isTraining !== 'boolean') throw new Error('isTraining is not a boolean');
      if (isTraining) training++;
      expectString(field(edge, 'node', 'name'), 'hero name');
      const value = field(edge, 'node', 'age');
      if (value !== null && typeof value !== 'number') throw new Error(`age is not a number or null: ${value}`);
      const age = value as number | null;
      // Going down: the unknown ages first, then ages that never go up.
      if (i > 0 && (age === null ? previous !== null : previous !== null && age > previous)) {
        throw new Error(`age ${age} after ${previous}: not in AGE DESC order`);
      }
      if (age === null) unknown++;
      previous = age;
    });
    return { heroes: heroes.length, 'unknown ages': unknown, 'in training': training };
  },
};

const q9: BenchQuery = {
  key: 'Q9',
  label: 'Q9: 5 biggest teams, counts, average age, first 5',
  graphql: Q9,
  peerGraphql: peerQ9,
  variables: () => undefined,
  // The counts from the counters the schema keeps, as the server reads them. The averages in one
  // statement grouped by team over the five teams' links, chosen by `teamId = ANY(ARRAY(<the five
  // ids>))`: PostgreSQL then reads the Giant team's 100,000 heroes by a hash join on Hero (about
  // 50 ms at S = 10,000). Joined to the five teams, or in a subquery per team, it expects 150
  // links a team and probes Hero's key 100,000 times (about 120 ms).
  floorSql: `
    WITH t AS MATERIALIZED (
      SELECT id, name, "heroCount", "trainingHeroCount" FROM "Team" ORDER BY "heroCount" DESC, id DESC LIMIT 5
    ), a AS (
      SELECT l."teamId", avg(h.age)::float8 AS avg
      FROM "HeroTeamLink" l JOIN "Hero" h ON h.id = l."heroId"
      WHERE l."teamId" = ANY(ARRAY(SELECT id FROM t))
      GROUP BY l."teamId"
    )
    SELECT json_build_object('teams', json_build_object('edges', coalesce(json_agg(
      json_build_object('node', json_build_object(
        'id', ${globalIdSql('Team', 't.id')}, 'name', t.name,
        'heroCount', t."heroCount", 'trainingHeroCount', t."trainingHeroCount",
        'heroes', json_build_object('aggregate', json_build_object('age', json_build_object('avg', a.avg)),
                                    'edges', hs.edges)))
      ORDER BY t."heroCount" DESC, t.id DESC), '[]')))::text AS data
    FROM t
    LEFT JOIN a ON a."teamId" = t.id
    CROSS JOIN LATERAL (
      SELECT coalesce(json_agg(json_build_object('node', json_build_object(
               'id', ${globalIdSql('Hero', 'n.id')}, 'name', n.name)) ORDER BY l."heroId"), '[]') AS edges
      FROM (SELECT "heroId" FROM "HeroTeamLink" WHERE "teamId" = t.id ORDER BY "heroId" LIMIT 5) l
      JOIN "Hero" n ON n.id = l."heroId"
    ) hs`,
  floorParams: () => [],
  wholeLists: 'its averages read every member of the Giant team, which holds every hero',
  check(data, shape) {
    const teams = list(data, 'teams', 'edges');
    expectLength(teams, 5, 'teams');
    let members = 0;
    let trainees = 0;
    let heroes = 0;
    teams.forEach((team, i) => {
      const name = field(team, 'node', 'name');
      const count = field(team, 'node', 'heroCount');
      const training = field(team, 'node', 'trainingHeroCount');
      // The Giant team first, then teams of 50 (every other team has 50 heroes).
      const size = i === 0 ? shape.giantSize : 50;
      if (count !== size) throw new Error(`Expected heroCount ${size} for team ${name}, got ${count}`);
      if (typeof training !== 'number' || training < 0 || training > size) {
        throw new Error(`trainingHeroCount of team ${name} is not a count: ${training}`);
      }
      const avg = field(team, 'node', 'heroes', 'aggregate', 'age', 'avg');
      if (typeof avg !== 'number') throw new Error(`The average age of team ${name} is not a number: ${avg}`);
      const edges = list(team, 'node', 'heroes', 'edges');
      expectLength(edges, 5, `heroes of team ${name}`);
      for (const edge of edges) expectString(field(edge, 'node', 'name'), 'hero name');
      members += count;
      trainees += training;
      heroes += edges.length;
    });
    return { teams: teams.length, 'head count': members, trainees, heroes };
  },
  peerReshape: (data) => {
    const reshaped = structuredClone(data) as Record<string, unknown>;
    for (const edge of list(reshaped, 'allTeams', 'edges')) {
      const node = field(edge, 'node') as Record<string, unknown>;
      const heroes = node.heroesByHeroTeamLinkTeamIdAndHeroId as Record<string, unknown>;
      const average = field(heroes, 'aggregates', 'average', 'age');
      node.heroCount = heroes.totalCount;
      node.trainingHeroCount = field(node, 'heroTeamLinksByTeamId', 'totalCount');
      delete node.heroTeamLinksByTeamId;
      // Its average is a BigFloat, the numeric's text: as a number, the float8 ours is.
      node.heroesByHeroTeamLinkTeamIdAndHeroId = {
        aggregate: { age: { avg: typeof average === 'string' ? Number(average) : average } },
        edges: heroes.edges,
      };
    }
    return reshaped;
  },
};

const q10: BenchQuery = {
  key: 'Q10',
  label: 'Q10: a 50-hero team by id, first 5',
  graphql: Q10,
  peerGraphql: peerQ10,
  variables: (shape, dialect) => teamVariable(shape.normalTeamId, dialect),
  floorSql: `
    SELECT json_build_object('team', (
      SELECT json_build_object('name', t.name, 'headquarters', t.headquarters, 'heroes', json_build_object(
        'edges', (SELECT coalesce(json_agg(json_build_object('node', json_build_object(
                                    'id', ${globalIdSql('Hero', 'n.id')}, 'name', n.name)) ORDER BY l."heroId"), '[]')
                  FROM (SELECT "heroId" FROM "HeroTeamLink" WHERE "teamId" = t.id ORDER BY "heroId" LIMIT 5) l
                  JOIN "Hero" n ON n.id = l."heroId")))
      FROM "Team" t WHERE t.id = $1))::text AS data`,
  floorParams: (shape) => [shape.normalTeamId],
  check(data) {
    expectString(field(data, 'team', 'name'), 'team name');
    expectString(field(data, 'team', 'headquarters'), 'headquarters');
    if (field(data, 'team', 'name') === 'Giant') throw new Error('Expected a team of 50, got the Giant team');
    const heroes = list(data, 'team', 'heroes', 'edges');
    expectLength(heroes, 5, 'heroes');
    for (const hero of heroes) {
      expectString(field(hero, 'node', 'id'), 'hero id');
      expectString(field(hero, 'node', 'name'), 'hero name');
    }
    return { teams: 1, heroes: heroes.length };
  },
};

const q11: BenchQuery = {
  key: 'Q11',
  label: 'Q11: a hero by id, its teams',
  graphql: Q11,
  peerGraphql: peerQ11,
  variables: (shape, dialect) => heroVariable(shape.normalHeroId, dialect),
  floorSql: `
    SELECT json_build_object('hero', (
      SELECT json_build_object('name', h.name, 'secretName', h."secretName", 'age', h.age, 'teams', json_build_object(
        'edges', (SELECT coalesce(json_agg(json_build_object('isTraining', l."isTraining", 'node', json_build_object(
                                    'id', ${globalIdSql('Team', 'n.id')}, 'name', n.name)) ORDER BY l."teamId"), '[]')
                  FROM (SELECT "teamId", "isTraining" FROM "HeroTeamLink" WHERE "heroId" = h.id ORDER BY "teamId" LIMIT 10) l
                  JOIN "Team" n ON n.id = l."teamId")))
      FROM "Hero" h WHERE h.id = $1))::text AS data`,
  floorParams: (shape) => [shape.normalHeroId],
  check(data, shape) {
    expectString(field(data, 'hero', 'name'), 'hero name');
    expectString(field(data, 'hero', 'secretName'), 'secret name');
    const age = field(data, 'hero', 'age');
    if (age !== null && typeof age !== 'number') throw new Error(`age is not a number or null: ${age}`);
    const teams = list(data, 'hero', 'teams', 'edges');
    expectLength(teams, shape.teamsOfNormalHero, `teams of hero ${shape.normalHeroId}`);
    let training = 0;
    for (const edge of teams) {
      const isTraining = field(edge, 'isTraining');
      if (typeof isTraining !== 'boolean') throw new Error('isTraining is not a boolean');
      if (isTraining) training++;
      expectString(field(edge, 'node', 'id'), 'team id');
      expectString(field(edge, 'node', 'name'), 'team name');
    }
    // The Giant team has the greatest id: the last of the hero's teams by id.
    const last = field(teams[teams.length - 1], 'node', 'name');
    if (last !== 'Giant') throw new Error(`Expected the Giant team last, got ${last}`);
    return { heroes: 1, 'team edges': teams.length, 'in training': training };
  },
};

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
  q5,
  q6,
  q7,
  q8,
  q9,
  q10,
  q11,
];

/** The body a client posts for a query, in our dialect or the peer's. */
export function requestBody(query: BenchQuery, shape: DatasetShape, dialect: Dialect = 'ours'): string {
  const variables = query.variables(shape, dialect);
  const text = dialect === 'ours' ? query.graphql : query.peerGraphql;
  return JSON.stringify(variables ? { query: text, variables } : { query: text });
}

/** The peer's names of the fields whose names differ from ours. */
const peerFieldNames: Record<string, string> = {
  allHeroes: 'heroes',
  allTeams: 'teams',
  rowId: 'id',
  teamsByHeroTeamLinkHeroIdAndTeamId: 'teams',
  heroesByHeroTeamLinkTeamIdAndHeroId: 'heroes',
};

/**
 * The `data` of an answer in one common form, to compare ours with the peer's: the peer's field
 * names become ours, and every `id` becomes the database id (ours are global ids, base64 of
 * "Type:id"; the peer's rowId is the database id already). Everything else (order, nulls, other
 * values) is kept as it is, so two normalised answers are equal only with the same rows in the
 * same order.
 */
export function normalizeAnswer(value: unknown, dialect: Dialect): unknown {
  if (Array.isArray(value)) return value.map((item) => normalizeAnswer(item, dialect));
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (dialect === 'ours' && key === 'id' && typeof item === 'string') {
      const [, id] = /^\w+:(\d+)$/.exec(Buffer.from(item, 'base64').toString()) ?? [];
      result.id = id === undefined ? item : Number(id);
    } else {
      result[dialect === 'peer' ? (peerFieldNames[key] ?? key) : key] = normalizeAnswer(item, dialect);
    }
  }
  return result;
}

/** Where two normalised answers first differ, as a path and both values, or undefined if equal. */
export function firstDifference(a: unknown, b: unknown, path = 'data'): string | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) return `${path}: ${a.length} items against ${b.length}`;
      const found = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const found = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (found) return found;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${path}: ${JSON.stringify(a)} against ${JSON.stringify(b)}`;
}
