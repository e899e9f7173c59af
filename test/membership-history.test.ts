import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { prisma } from '../src/db';
import { heroId, inPostgresOrder, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { codes, executeOperation, ok, recordSql } from './support/graphql';

// Membership history (API.md, "Membership history"): the periods the triggers of migration
// membership_history keep for every writer, membershipHistory on both ends, and `asOf` on both
// link connections with every other argument (each order both ways, cursors both ways, filters,
// isTraining, aggregate), checked against the periods read in SQL, with the statements per level.
// Overlap under concurrent writers: test/membership-history-concurrency.test.ts.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;
const run = (query: string, variables: Record<string, unknown> = {}) =>
  ok(parse(query) as TypedDocumentNode<Data, Record<string, unknown>>, variables);
const send = (query: string, variables: Record<string, unknown> = {}) =>
  executeOperation(parse(query) as TypedDocumentNode<Data, Record<string, unknown>>, variables);

/** The instant now, then a few milliseconds so that the next write's periods begin after it. */
async function instant(): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  const at = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 5));
  return at;
}

const add = (h: number, t: number, isTraining = false) =>
  run(
    `mutation ($h: ID!, $t: ID!, $x: Boolean) { addHeroToTeam(input: { heroId: $h, teamId: $t, isTraining: $x }) { isTraining } }`,
    {
      h: heroId(h),
      t: teamId(t),
      x: isTraining,
    },
  );
const remove = (h: number, t: number) =>
  run(`mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }`, {
    h: heroId(h),
    t: teamId(t),
  });
const setTraining = (h: number, t: number, isTraining: boolean) =>
  run(
    `mutation ($h: ID!, $t: ID!, $x: Boolean!) { updateMembership(input: { heroId: $h, teamId: $t, isTraining: $x }) { isTraining } }`,
    {
      h: heroId(h),
      t: teamId(t),
      x: isTraining,
    },
  );

interface Membership {
  heroId: number;
  teamId: number;
  isTraining: boolean;
  joinedAt: number;
}

/** The memberships at `at` whose hero and team exist, read from the periods in SQL: the oracle. */
async function membershipsAt(at: string): Promise<Membership[]> {
  const rows = await prisma.$queryRaw<(Omit<Membership, 'joinedAt'> & { joinedAt: Date })[]>`
    SELECT p."heroId", p."teamId", p."isTraining", p."joinedAt"
    FROM "MembershipPeriod" p JOIN "Hero" h ON h.id = p."heroId" JOIN "Team" t ON t.id = p."teamId"
    WHERE p."startedAt" <= ${at}::timestamptz AND (p."endedAt" IS NULL OR p."endedAt" > ${at}::timestamptz)`;
  return rows.map((row) => ({ ...row, joinedAt: row.joinedAt.getTime() }));
}

describe('membership history', () => {
  let teams: number[];
  let heroes: number[];
  /** Instants between the writes of beforeAll, in order. */
  const at: string[] = [];

  beforeAll(async () => {
    await resetDatabase();
    teams = await makeTeams(3, 'Era');
    heroes = await makeHeroes(8, 'Member');
    const [a, b] = teams as [number, number];
    const h = heroes;
    at.push(await instant()); // 0: nothing
    for (let i = 0; i < 6; i++) await add(h[i]!, a, i % 2 === 1);
    await add(h[0]!, b);
    at.push(await instant()); // 1: heroes 0..5 in a (1, 3, 5 training), 0 in b
    await setTraining(h[1]!, a, false);
    await remove(h[2]!, a);
    at.push(await instant()); // 2: 1 no longer training, 2 gone
    await add(h[2]!, a, true);
    // Plain SQL and a bulk mutation are recorded too.
    await prisma.$executeRaw`INSERT INTO "HeroTeamLink" ("heroId", "teamId") VALUES (${h[6]!}, ${a})`;
    await run(
      `mutation ($t: ID!, $h: [HeroMembershipInput!]!) { addHeroesToTeam(input: { teamId: $t, heroes: $h }) { added } }`,
      {
        t: teamId(b),
        h: [{ heroId: heroId(h[1]!) }, { heroId: heroId(h[7]!), isTraining: true }],
      },
    );
    at.push(await instant()); // 3: 2 back in training, 6 in a; 1 and 7 in b
    await prisma.$executeRaw`UPDATE "HeroTeamLink" SET "isTraining" = true WHERE "teamId" = ${a}`;
    at.push(await instant()); // 4: all of a in training
    // Deleting a hero ends its periods (the cascade) and keeps them.
    await prisma.hero.delete({ where: { id: h[4]! } });
    at.push(await instant()); // 5
  });

  it('records a period per membership and change, newest first, for every writer', async () => {
    const data = await run(
      `query ($t: ID!, $h: ID!) { team(id: $t) {
        membershipHistory(first: 50) { totalCount edges { node { heroId teamId isTraining from to hero { name } team { name } } } }
        one: membershipHistory(heroId: $h) { edges { node { isTraining from to } } }
      } }`,
      { t: teamId(teams[0]!), h: heroId(heroes[2]!) },
    );
    const periods = data.team.membershipHistory.edges.map((e: Data) => e.node);
    // 6 joins, 1's change, 2's return, 6's join in SQL, and the UPDATE's changes of 0, 1, 4 and 6
    // (2, 3 and 5 were in training already).
    expect(data.team.membershipHistory.totalCount).toBe(6 + 1 + 1 + 1 + 4);
    const froms = periods.map((p: Data) => Date.parse(p.from));
    expect([...froms].sort((x, y) => y - x)).toEqual(froms);
    // Hero 2: joined, removed, back in training (kept through the UPDATE): two periods.
    const mine = data.team.one.edges.map((e: Data) => e.node);
    expect(mine.map((p: Data) => [p.isTraining, p.to === null])).toEqual([
      [true, true],
      [false, false],
    ]);
    expect(Date.parse(mine[1].to)).toBeLessThan(Date.parse(at[2]!));
    expect(Date.parse(mine[0].from)).toBeGreaterThan(Date.parse(at[2]!));
    // The deleted hero's periods stay, their hero null, ended as it went.
    const deleted = periods.filter((p: Data) => p.heroId === heroId(heroes[4]!));
    expect(deleted.length).toBe(2);
    expect(deleted.every((p: Data) => p.hero === null && p.team.name === 'Era 1' && p.to !== null)).toBe(true);
    expect(Date.parse(deleted[0].to)).toBeGreaterThan(Date.parse(at[4]!));
    // Open periods are exactly the memberships that exist.
    const open = periods.filter((p: Data) => p.to === null).map((p: Data) => p.heroId);
    const links = await prisma.heroTeamLink.findMany({ where: { teamId: teams[0]! } });
    expect(open.sort()).toEqual(links.map((l) => heroId(l.heroId)).sort());
  });

  it('a change of isTraining ends one period where the next begins', async () => {
    const data = await run(
      `query ($h: ID!, $t: ID!) { hero(id: $h) { membershipHistory(teamId: $t) { edges { node { isTraining from to } } } } }`,
      {
        h: heroId(heroes[1]!),
        t: teamId(teams[0]!),
      },
    );
    // Joined in training, set to false, set to true by the UPDATE.
    const periods = data.hero.membershipHistory.edges.map((e: Data) => e.node);
    expect(periods.map((p: Data) => p.isTraining)).toEqual([true, false, true]);
    expect(periods[0].to).toBeNull();
    expect(periods[1].to).toBe(periods[0].from);
    expect(periods[2].to).toBe(periods[1].from);
  });

  it('from/to select the periods overlapping [from, to]; from = to = t the periods of asOf: t', async () => {
    for (const i of [1, 2, 3, 4]) {
      const data = await run(
        `query ($t: ID!, $at: DateTime!) { team(id: $t) {
          membershipHistory(from: $at, to: $at, first: 50) { edges { node { heroId isTraining } } }
        } }`,
        { t: teamId(teams[0]!), at: at[i] },
      );
      // The deleted hero's periods are history: they stay in it, not in asOf.
      const expected = (await membershipsAt(at[i]!)).filter((m) => m.teamId === teams[0]);
      const listed = data.team.membershipHistory.edges
        .map((e: Data) => e.node)
        .filter((p: Data) => p.heroId !== heroId(heroes[4]!) || i === 5);
      expect(listed.map((p: Data) => [p.heroId, p.isTraining]).sort()).toEqual(
        expected
          .filter((m) => m.heroId !== heroes[4])
          .map((m) => [heroId(m.heroId), m.isTraining])
          .sort(),
      );
    }
    const range = await run(
      `query ($t: ID!, $from: DateTime!, $to: DateTime!) { team(id: $t) { membershipHistory(from: $from, to: $to) { totalCount } } }`,
      {
        t: teamId(teams[0]!),
        from: at[1],
        to: at[2],
      },
    );
    // The 6 periods open at at[1], and hero 1's second one, begun before at[2].
    expect(range.team.membershipHistory.totalCount).toBe(7);
  });

  it('pages of history with cursors both ways', async () => {
    const query = `query ($t: ID!, $first: Int, $after: String, $last: Int, $before: String) { team(id: $t) {
      membershipHistory(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { heroId from } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
      } } }`;
    const all = (await run(query, { t: teamId(teams[0]!), first: 100 })).team.membershipHistory.edges.map(
      (e: Data) => e.node,
    );
    const forward: Data[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Data = (await run(query, { t: teamId(teams[0]!), first: 4, after })).team.membershipHistory;
      forward.push(...page.edges.map((e: Data) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(forward).toEqual(all);
    const backward: Data[] = [];
    let before: string | null = null;
    for (;;) {
      const page: Data = (await run(query, { t: teamId(teams[0]!), last: 4, before })).team.membershipHistory;
      backward.unshift(...page.edges.map((e: Data) => e.node));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(backward).toEqual(all);
  });

  it("a deleted team's periods stay in its heroes' histories, ended, its team null; asOf leaves them out", async () => {
    const [hero, team] = [heroes[0]!, teams[2]!];
    await add(hero, team, true);
    const member = await instant();
    await prisma.team.delete({ where: { id: team } });
    const data = await run(
      `query ($h: ID!, $t: ID!, $at: DateTime!) { hero(id: $h) {
        membershipHistory(teamId: $t) { edges { node { teamId isTraining to team { name } } } }
        teams(asOf: $at) { totalCount edges { node { name } } }
      } }`,
      { h: heroId(hero), t: teamId(team), at: member },
    );
    expect(data.hero.membershipHistory.edges).toEqual([
      { node: { teamId: teamId(team), isTraining: true, to: expect.any(String), team: null } },
    ]);
    expect(Date.parse(data.hero.membershipHistory.edges[0].node.to)).toBeGreaterThan(Date.parse(member));
    // Then a member of a and b, and of the deleted team, which asOf leaves out.
    expect(data.hero.teams.edges.map((e: Data) => e.node.name).sort()).toEqual(['Era 1', 'Era 2']);
    expect(data.hero.teams.totalCount).toBe(2);
  });

  it('asOf in the future is BAD_USER_INPUT', async () => {
    const future = new Date(Date.now() + 60_000).toISOString();
    const response = await send(
      `query ($t: ID!, $at: DateTime!) { team(id: $t) { heroes(asOf: $at) { totalCount } } }`,
      {
        t: teamId(teams[0]!),
        at: future,
      },
    );
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });

  const heroOrders = ['ID', 'NAME', 'AGE', 'TEAM_COUNT', 'JOINED_AT'];
  const teamOrders = ['ID', 'NAME', 'HERO_COUNT', 'TRAINING_HERO_COUNT', 'JOINED_AT'];

  /** The sort key of a node in an order, as the API orders (NULLs last going up), the id after it. */
  function sorted(
    list: { id: number; joinedAt: number; row: Record<string, unknown> }[],
    field: string,
    direction: string,
  ) {
    const column: Record<string, string> = {
      NAME: 'name',
      AGE: 'age',
      TEAM_COUNT: 'teamCount',
      HERO_COUNT: 'heroCount',
      TRAINING_HERO_COUNT: 'trainingHeroCount',
    };
    const key = (item: (typeof list)[number]) =>
      field === 'ID'
        ? item.id
        : field === 'JOINED_AT'
          ? item.joinedAt
          : (item.row[column[field]!] as number | string | null);
    return inPostgresOrder(list, key, direction);
  }

  async function walk(
    query: string,
    variables: Record<string, unknown>,
    path: (data: Data) => Data,
    backward: boolean,
  ) {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: Data = path(
        await run(query, { ...variables, ...(backward ? { last: 2, before: cursor } : { first: 2, after: cursor }) }),
      );
      const got = page.edges.map((e: Data) => e.node.id);
      if (backward) ids.unshift(...got);
      else ids.push(...got);
      if (!(backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage)) break;
      cursor = backward ? page.pageInfo.startCursor : page.pageInfo.endCursor;
    }
    return ids;
  }

  it("a team's heroes asOf: every order both ways, cursors both ways, isTraining as it was", async () => {
    const rows = new Map(
      (await prisma.hero.findMany()).map((row) => [row.id, row as unknown as Record<string, unknown>]),
    );
    const query = `query ($t: ID!, $at: DateTime, $o: HeroOrder, $first: Int, $after: String, $last: Int, $before: String) {
      team(id: $t) { heroes(asOf: $at, orderBy: $o, first: $first, after: $after, last: $last, before: $before) {
        edges { isTraining joinedAt node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
    for (const i of [0, 1, 2, 3, 4, 5]) {
      const members = (await membershipsAt(at[i]!)).filter((m) => m.teamId === teams[0]);
      const list = members.map((m) => ({ id: m.heroId, joinedAt: m.joinedAt, row: rows.get(m.heroId)! }));
      const whole = await run(query, { t: teamId(teams[0]!), at: at[i], first: 50 });
      expect(
        whole.team.heroes.edges.map((e: Data) => [e.node.id, e.isTraining, Date.parse(e.joinedAt)]).sort(),
      ).toEqual(members.map((m) => [heroId(m.heroId), m.isTraining, m.joinedAt]).sort());
      for (const field of heroOrders) {
        for (const direction of ['ASC', 'DESC']) {
          const expected = sorted(list, field, direction).map((item) => heroId(item.id));
          const variables = { t: teamId(teams[0]!), at: at[i], o: { field, direction } };
          for (const backward of [false, true]) {
            expect([
              i,
              field,
              direction,
              backward,
              await walk(query, variables, (d) => d.team.heroes, backward),
            ]).toEqual([i, field, direction, backward, expected]);
          }
        }
      }
    }
  });

  it("a hero's teams asOf: every order both ways", async () => {
    const rows = new Map(
      (await prisma.team.findMany()).map((row) => [row.id, row as unknown as Record<string, unknown>]),
    );
    const query = `query ($h: ID!, $at: DateTime, $o: TeamOrder, $first: Int, $after: String, $last: Int, $before: String) {
      hero(id: $h) { teams(asOf: $at, orderBy: $o, first: $first, after: $after, last: $last, before: $before) {
        edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
    for (const i of [1, 2, 3]) {
      for (const hero of [heroes[0]!, heroes[1]!]) {
        const members = (await membershipsAt(at[i]!)).filter((m) => m.heroId === hero);
        const list = members.map((m) => ({ id: m.teamId, joinedAt: m.joinedAt, row: rows.get(m.teamId)! }));
        for (const field of teamOrders) {
          for (const direction of ['ASC', 'DESC']) {
            const expected = sorted(list, field, direction).map((item) => teamId(item.id));
            for (const backward of [false, true]) {
              const got = await walk(
                query,
                { h: heroId(hero), at: at[i], o: { field, direction } },
                (d) => d.hero.teams,
                backward,
              );
              expect([i, field, direction, got]).toEqual([i, field, direction, expected]);
            }
          }
        }
      }
    }
  });

  it('asOf with isTraining, where (through the link, as of the instant too) and the aggregate', async () => {
    const i = 1;
    const members = (await membershipsAt(at[i]!)).filter((m) => m.teamId === teams[0]);
    const data = await run(
      `query ($t: ID!, $at: DateTime!, $b: ID!) { team(id: $t) {
        training: heroes(asOf: $at, isTraining: true) { totalCount edges { node { id } } aggregate { count trainingCount } }
        all: heroes(asOf: $at) { totalCount aggregate { count trainingCount age { count min max } joinedAt { min max } } }
        inB: heroes(asOf: $at, where: { teams: { some: { team: { ids: [$b] } } } }) { totalCount edges { node { id } } }
        notInB: heroes(asOf: $at, where: { teams: { none: { team: { ids: [$b] } } } }) { totalCount }
        old: heroes(asOf: $at, where: { minAge: 23 }) { edges { node { id age } } }
      } }`,
      { t: teamId(teams[0]!), at: at[i], b: teamId(teams[1]!) },
    );
    const training = members.filter((m) => m.isTraining);
    expect(data.team.training.totalCount).toBe(training.length);
    expect(data.team.training.edges.map((e: Data) => e.node.id).sort()).toEqual(
      training.map((m) => heroId(m.heroId)).sort(),
    );
    expect(data.team.training.aggregate).toEqual({ count: training.length, trainingCount: training.length });
    expect(data.team.all.totalCount).toBe(members.length);
    const ages = (await prisma.hero.findMany({ where: { id: { in: members.map((m) => m.heroId) } } }))
      .map((h) => h.age)
      .filter((age): age is number => age !== null);
    expect(data.team.all.aggregate).toEqual({
      count: members.length,
      trainingCount: training.length,
      age: { count: ages.length, min: Math.min(...ages), max: Math.max(...ages) },
      joinedAt: {
        min: new Date(Math.min(...members.map((m) => m.joinedAt))).toISOString(),
        max: new Date(Math.max(...members.map((m) => m.joinedAt))).toISOString(),
      },
    });
    // At at[1] only hero 0 was in team b (1 joined it later): the filter reads the link as of then.
    expect(data.team.inB.edges.map((e: Data) => e.node.id)).toEqual([heroId(heroes[0]!)]);
    expect(data.team.notInB.totalCount).toBe(members.length - 1);
    expect(data.team.old.edges.every((e: Data) => e.node.age >= 23)).toBe(true);
    // Today hero 1 is in b: the same filter now finds two.
    const now = await run(
      `query ($t: ID!, $b: ID!) { team(id: $t) { heroes(where: { teams: { some: { team: { ids: [$b] } } } }) { totalCount } } }`,
      {
        t: teamId(teams[0]!),
        b: teamId(teams[1]!),
      },
    );
    expect(now.team.heroes.totalCount).toBe(2);
  });

  it('reads a level of asOf pages and of histories in one statement each, whatever the number of parents', async () => {
    const document = `query ($at: DateTime!, $n: Int!) { teams(first: $n) { edges { node {
      heroes(asOf: $at, first: 3) { totalCount edges { isTraining node { name } } aggregate { count age { max } } }
      byName: heroes(asOf: $at, first: 3, orderBy: { field: NAME }) { edges { node { name } } }
      membershipHistory(first: 3) { totalCount edges { node { from hero { name } team { name } } } }
    } } } }`;
    const counts: number[] = [];
    for (const n of [1, 2]) {
      const { result, statements } = await recordSql(() => run(document, { at: at[3], n }));
      expect(result.teams.edges).toHaveLength(n);
      expect(result.teams.edges.every((e: Data) => e.node.membershipHistory.edges.length > 0)).toBe(true);
      counts.push(statements.length);
    }
    // teams; the page by id; its count; the aggregate's statistics; the page by name; the history's
    // page; its count; heroes by id (hero), teams by id (team).
    expect(counts).toEqual([9, 9]);
  });
});
