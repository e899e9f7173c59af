import { maxBulk } from '../src/config';
import { prisma } from '../src/db';
import { graphql } from './gql';
import {
  counterMismatches,
  heroId,
  linkAll,
  makeHeroes,
  makeTeams,
  resetDatabase,
  tableCounts,
  teamId,
} from './support/factories';
import { codes, executeOperation, ok, recordSql, type Response } from './support/graphql';

// addHeroesToTeam, removeHeroesFromTeam and setTeamHeroes: many heroes of one team in one
// transaction, idempotent, all or nothing, in a number of statements that does not depend on the
// length of the list.

let teams: number[] = [];
let heroes: number[] = [];

beforeEach(async () => {
  await resetDatabase();
  teams = await makeTeams(3);
  heroes = await makeHeroes(8);
});

const AddHeroes = graphql(`
  mutation BulkAdd($input: AddHeroesToTeamInput!) {
    addHeroesToTeam(input: $input) {
      added
      removed
      updated
      team {
        id
        name
        heroes(first: 100) {
          totalCount
          edges {
            isTraining
            node {
              id
            }
          }
        }
      }
    }
  }
`);

const RemoveHeroes = graphql(`
  mutation BulkRemove($input: RemoveHeroesFromTeamInput!) {
    removeHeroesFromTeam(input: $input) {
      added
      removed
      updated
      team {
        id
        heroes(first: 100) {
          totalCount
          edges {
            isTraining
            node {
              id
            }
          }
        }
      }
    }
  }
`);

const SetHeroes = graphql(`
  mutation BulkSet($input: SetTeamHeroesInput!) {
    setTeamHeroes(input: $input) {
      added
      removed
      updated
      team {
        id
        heroes(first: 100) {
          totalCount
          edges {
            isTraining
            node {
              id
            }
          }
        }
      }
    }
  }
`);

/** The team's memberships in the database, by hero id: `heroId:isTraining`. */
async function membershipsOf(team: number): Promise<string[]> {
  const links = await prisma.heroTeamLink.findMany({ where: { teamId: team }, orderBy: { heroId: 'asc' } });
  return links.map((link) => `${link.heroId}:${link.isTraining}`);
}

/** The same, as the payload's team.heroes shows them. */
function shown(team: { heroes: { edges: { isTraining: boolean; node: { id: string } }[] } }): string[] {
  const byId = new Map(heroes.map((id) => [heroId(id), id]));
  return team.heroes.edges.map((edge) => `${byId.get(edge.node.id)}:${edge.isTraining}`);
}

async function joinedAtOf(team: number, hero: number): Promise<Date> {
  const link = await prisma.heroTeamLink.findUniqueOrThrow({
    where: { teamId_heroId: { teamId: team, heroId: hero } },
  });
  return link.joinedAt;
}

/** Dates the team's memberships back, so a membership re-created by mistake could not keep its joinedAt. */
async function backdate(team: number): Promise<Date> {
  const longAgo = new Date('2001-02-03T04:05:06.789Z');
  await prisma.heroTeamLink.updateMany({ where: { teamId: team }, data: { joinedAt: longAgo } });
  return longAgo;
}

async function expectCountersExact() {
  expect(await counterMismatches()).toEqual([]);
}

const h = (i: number) => heroes[i]!;

describe('addHeroesToTeam', () => {
  it('adds the new memberships with their flags, counts only those, and leaves existing ones as they are', async () => {
    const [team] = teams;
    await prisma.heroTeamLink.createMany({
      data: [
        { teamId: team!, heroId: h(0), isTraining: true },
        { teamId: team!, heroId: h(1), isTraining: false },
      ],
    });
    const longAgo = await backdate(team!);
    const { addHeroesToTeam: payload } = await ok(AddHeroes, {
      input: {
        teamId: teamId(team!),
        heroes: [
          { heroId: heroId(h(0)), isTraining: false }, // a member: its flag stays true
          { heroId: heroId(h(2)), isTraining: true },
          { heroId: heroId(h(1)), isTraining: true }, // a member: its flag stays false
          { heroId: heroId(h(3)) }, // isTraining defaults to false
        ],
      },
    });
    expect(payload).toMatchObject({ added: 2, removed: 0, updated: 0 });
    const expected = [`${h(0)}:true`, `${h(1)}:false`, `${h(2)}:true`, `${h(3)}:false`];
    expect(await membershipsOf(team!)).toEqual(expected);
    expect(payload.team.heroes.totalCount).toBe(4);
    expect(shown(payload.team)).toEqual(expected);
    expect(await joinedAtOf(team!, h(0))).toEqual(longAgo);
    expect(await joinedAtOf(team!, h(1))).toEqual(longAgo);
    expect((await joinedAtOf(team!, h(2))).getTime()).toBeGreaterThan(longAgo.getTime());
    // Other teams are untouched.
    expect(await membershipsOf(teams[1]!)).toEqual([]);
    await expectCountersExact();
  });

  it('is idempotent: the same list twice adds N, then 0, and changes nothing', async () => {
    const input = {
      teamId: teamId(teams[0]!),
      heroes: heroes.slice(0, 5).map((id, i) => ({ heroId: heroId(id), isTraining: i % 2 === 0 })),
    };
    expect((await ok(AddHeroes, { input })).addHeroesToTeam.added).toBe(5);
    const after = await membershipsOf(teams[0]!);
    const longAgo = await backdate(teams[0]!);
    const again = await ok(AddHeroes, { input });
    expect(again.addHeroesToTeam).toMatchObject({ added: 0, removed: 0, updated: 0 });
    expect(again.addHeroesToTeam.team.heroes.totalCount).toBe(5);
    expect(await membershipsOf(teams[0]!)).toEqual(after);
    expect(await joinedAtOf(teams[0]!, h(4))).toEqual(longAgo);
    await expectCountersExact();
  });

  it('accepts an empty list, which changes nothing', async () => {
    const { addHeroesToTeam: payload } = await ok(AddHeroes, { input: { teamId: teamId(teams[0]!), heroes: [] } });
    expect(payload).toMatchObject({ added: 0, removed: 0, updated: 0, team: { heroes: { totalCount: 0 } } });
  });
});

describe('removeHeroesFromTeam', () => {
  it('ends the memberships of the listed members, ignores the others, and counts only real removals', async () => {
    await linkAll(heroes.slice(0, 4), teams.slice(0, 2));
    const { removeHeroesFromTeam: payload } = await ok(RemoveHeroes, {
      input: { teamId: teamId(teams[0]!), heroIds: [h(1), h(6), h(3)].map(heroId) }, // h(6) is not a member
    });
    expect(payload).toMatchObject({ added: 0, removed: 2, updated: 0 });
    expect((await membershipsOf(teams[0]!)).map((m) => m.split(':')[0])).toEqual([String(h(0)), String(h(2))]);
    expect(payload.team.heroes.totalCount).toBe(2);
    expect(shown(payload.team)).toEqual(await membershipsOf(teams[0]!));
    // The same heroes' memberships of another team stay.
    expect(await membershipsOf(teams[1]!)).toHaveLength(4);
    await expectCountersExact();
  });

  it('is idempotent: the same list twice removes N, then 0', async () => {
    await linkAll(heroes.slice(0, 6), [teams[0]!]);
    const input = { teamId: teamId(teams[0]!), heroIds: heroes.slice(0, 4).map(heroId) };
    expect((await ok(RemoveHeroes, { input })).removeHeroesFromTeam.removed).toBe(4);
    const again = await ok(RemoveHeroes, { input });
    expect(again.removeHeroesFromTeam).toMatchObject({ added: 0, removed: 0, updated: 0 });
    expect(again.removeHeroesFromTeam.team.heroes.totalCount).toBe(2);
    await expectCountersExact();
  });

  it('accepts an empty list, which changes nothing', async () => {
    await linkAll(heroes.slice(0, 2), [teams[0]!]);
    const { removeHeroesFromTeam: payload } = await ok(RemoveHeroes, {
      input: { teamId: teamId(teams[0]!), heroIds: [] },
    });
    expect(payload).toMatchObject({ added: 0, removed: 0, updated: 0, team: { heroes: { totalCount: 2 } } });
  });
});

describe('setTeamHeroes', () => {
  it('makes the memberships exactly the list: removes, adds and updates, keeping joinedAt of those that stay', async () => {
    const [team] = teams;
    await prisma.heroTeamLink.createMany({
      data: [
        { teamId: team!, heroId: h(0), isTraining: true }, // stays, flag changes
        { teamId: team!, heroId: h(1), isTraining: false }, // stays as it is
        { teamId: team!, heroId: h(2), isTraining: true }, // stays as it is
        { teamId: team!, heroId: h(3), isTraining: false }, // stays, flag changes
        { teamId: team!, heroId: h(4), isTraining: false }, // removed
      ],
    });
    await linkAll([h(4), h(5)], [teams[1]!]);
    const longAgo = await backdate(team!);
    const { setTeamHeroes: payload } = await ok(SetHeroes, {
      input: {
        teamId: teamId(team!),
        heroes: [
          { heroId: heroId(h(3)), isTraining: true },
          { heroId: heroId(h(0)) },
          { heroId: heroId(h(1)), isTraining: false },
          { heroId: heroId(h(2)), isTraining: true },
          { heroId: heroId(h(6)), isTraining: true }, // new
        ],
      },
    });
    expect(payload).toMatchObject({ added: 1, removed: 1, updated: 2 });
    const expected = [`${h(0)}:false`, `${h(1)}:false`, `${h(2)}:true`, `${h(3)}:true`, `${h(6)}:true`];
    expect(await membershipsOf(team!)).toEqual(expected);
    expect(payload.team.heroes.totalCount).toBe(5);
    expect(shown(payload.team)).toEqual(expected);
    for (const stayed of [h(0), h(1), h(2), h(3)]) expect(await joinedAtOf(team!, stayed)).toEqual(longAgo);
    expect((await joinedAtOf(team!, h(6))).getTime()).toBeGreaterThan(longAgo.getTime());
    // The removed hero's membership of another team stays.
    expect(await prisma.heroTeamLink.count({ where: { heroId: h(4) } })).toBe(1);
    await expectCountersExact();
  });

  it('is idempotent: the same list twice changes nothing the second time (0 / 0 / 0)', async () => {
    await linkAll(heroes.slice(0, 4), [teams[0]!]);
    const input = {
      teamId: teamId(teams[0]!),
      heroes: heroes.slice(2, 7).map((id, i) => ({ heroId: heroId(id), isTraining: i % 2 === 1 })),
    };
    const first = (await ok(SetHeroes, { input })).setTeamHeroes;
    expect(first.added + first.removed + first.updated).toBeGreaterThan(0);
    const after = await membershipsOf(teams[0]!);
    const longAgo = await backdate(teams[0]!);
    const again = (await ok(SetHeroes, { input })).setTeamHeroes;
    expect(again).toMatchObject({ added: 0, removed: 0, updated: 0 });
    expect(again.team.heroes.totalCount).toBe(5);
    expect(await membershipsOf(teams[0]!)).toEqual(after);
    for (const id of heroes.slice(2, 7)) expect(await joinedAtOf(teams[0]!, id)).toEqual(longAgo);
    await expectCountersExact();
  });

  it('counts as updated only the memberships whose isTraining changed', async () => {
    await prisma.heroTeamLink.createMany({
      data: heroes.slice(0, 6).map((id, i) => ({ teamId: teams[0]!, heroId: id, isTraining: i < 3 })),
    });
    // Everyone in training: the three that were not change.
    const input = {
      teamId: teamId(teams[0]!),
      heroes: heroes.slice(0, 6).map((id) => ({ heroId: heroId(id), isTraining: true })),
    };
    expect((await ok(SetHeroes, { input })).setTeamHeroes).toMatchObject({ added: 0, removed: 0, updated: 3 });
    const [team] = await prisma.team.findMany({ where: { id: teams[0]! } });
    expect([team!.heroCount, team!.trainingHeroCount]).toEqual([6, 6]);
    await expectCountersExact();
  });

  it('with an empty list removes every membership of the team, and only of that team', async () => {
    await linkAll(heroes.slice(0, 5), teams.slice(0, 2));
    const { setTeamHeroes: payload } = await ok(SetHeroes, { input: { teamId: teamId(teams[0]!), heroes: [] } });
    expect(payload).toMatchObject({ added: 0, removed: 5, updated: 0, team: { heroes: { totalCount: 0 } } });
    expect(await membershipsOf(teams[0]!)).toEqual([]);
    expect(await membershipsOf(teams[1]!)).toHaveLength(5);
    await expectCountersExact();
  });
});

describe("the request's loaders forget what a bulk mutation changed", () => {
  it("later mutations of the same operation see the change in the team's heroes and in their teams", async () => {
    await linkAll([h(0)], teams.slice(0, 2));
    const { first, second, third } = await ok(
      graphql(`
        mutation BulkThrice(
          $team0: ID!
          $team1: ID!
          $add: [HeroMembershipInput!]!
          $set: [HeroMembershipInput!]!
          $remove: [ID!]!
        ) {
          first: addHeroesToTeam(input: { teamId: $team0, heroes: $add }) {
            ...BulkTeamHeroes
          }
          second: setTeamHeroes(input: { teamId: $team1, heroes: $set }) {
            ...BulkTeamHeroes
          }
          third: removeHeroesFromTeam(input: { teamId: $team0, heroIds: $remove }) {
            ...BulkTeamHeroes
          }
        }
        fragment BulkTeamHeroes on TeamHeroesPayload {
          team {
            heroes(first: 10) {
              totalCount
              edges {
                node {
                  id
                  teams {
                    totalCount
                  }
                }
              }
            }
          }
        }
      `),
      {
        team0: teamId(teams[0]!),
        team1: teamId(teams[1]!),
        add: [h(1), h(2)].map((id) => ({ heroId: heroId(id) })),
        set: [h(0), h(2)].map((id) => ({ heroId: heroId(id) })),
        remove: [h(0), h(1)].map(heroId),
      },
    );
    const seen = (payload: typeof first) => [
      payload.team.heroes.totalCount,
      payload.team.heroes.edges.map((edge) => `${edge.node.id}:${edge.node.teams.totalCount}`),
    ];
    expect(seen(first)).toEqual([3, [`${heroId(h(0))}:2`, `${heroId(h(1))}:1`, `${heroId(h(2))}:1`]]);
    // h(2) joined a second team: its teams, loaded by the first payload, are read again.
    expect(seen(second)).toEqual([2, [`${heroId(h(0))}:2`, `${heroId(h(2))}:2`]]);
    // team 0, loaded by the first payload, is read again.
    expect(seen(third)).toEqual([1, [`${heroId(h(2))}:2`]]);
  });
});

// Every mutation, so that each check below runs against all three.
const bulkWrites: Record<string, (team: string, ids: string[]) => Promise<Response<unknown>>> = {
  addHeroesToTeam: (team: string, ids: string[]) =>
    executeOperation(AddHeroes, {
      input: { teamId: team, heroes: ids.map((id) => ({ heroId: id, isTraining: true })) },
    }),
  removeHeroesFromTeam: (team: string, ids: string[]) =>
    executeOperation(RemoveHeroes, { input: { teamId: team, heroIds: ids } }),
  setTeamHeroes: (team: string, ids: string[]) =>
    executeOperation(SetHeroes, {
      input: { teamId: team, heroes: ids.map((id) => ({ heroId: id, isTraining: true })) },
    }),
};
const eachWrite = Object.entries(bulkWrites);

/** Everything a failed write must have left as it was: rows, links with their flags, counters. */
async function snapshot() {
  const [counts, links, counters] = await Promise.all([
    tableCounts(),
    prisma.heroTeamLink.findMany({ orderBy: [{ teamId: 'asc' }, { heroId: 'asc' }] }),
    prisma.team.findMany({ select: { id: true, heroCount: true, trainingHeroCount: true }, orderBy: { id: 'asc' } }),
  ]);
  return { counts, links, counters };
}

describe.each(eachWrite)('%s: all or nothing, and bad input', (_name, write) => {
  beforeEach(async () => {
    await linkAll(heroes.slice(0, 3), [teams[0]!]);
    await linkAll(heroes.slice(2, 5), [teams[1]!]);
  });

  it('an unknown hero in the middle of the list is NOT_FOUND naming it, and nothing is written', async () => {
    const before = await snapshot();
    const unknown = heroId(999_999);
    const ids = [h(1), h(5), h(6)].map(heroId);
    const answer = await write(teamId(teams[0]!), [ids[0]!, ids[1]!, unknown, ids[2]!]);
    expect(codes(answer)).toEqual(['NOT_FOUND']);
    expect(answer.body.errors![0]!.message).toContain(unknown);
    expect(await snapshot()).toEqual(before);
  });

  it('an unknown team is NOT_FOUND naming it, and nothing is written', async () => {
    const before = await snapshot();
    const unknown = teamId(999_999);
    const answer = await write(unknown, [h(1), h(5)].map(heroId));
    expect(codes(answer)).toEqual(['NOT_FOUND']);
    expect(answer.body.errors![0]!.message).toContain(unknown);
    expect(await snapshot()).toEqual(before);
  });

  it('more than MAX_BULK heroes is BAD_USER_INPUT naming the limit, before any SQL', async () => {
    const ids = Array.from({ length: maxBulk + 1 }, (_, i) => heroId(i + 1));
    const { result: answer, statements } = await recordSql(() => write(teamId(teams[0]!), ids));
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.body.errors![0]!.message).toContain(`At most ${maxBulk} heroes`);
    expect(answer.body.errors![0]!.message).toContain('MAX_BULK');
    expect(statements).toEqual([]);
  });

  it('exactly MAX_BULK heroes is accepted (here, as unknown heroes: NOT_FOUND)', async () => {
    const ids = Array.from({ length: maxBulk }, (_, i) => heroId(100_000 + i));
    expect(codes(await write(teamId(teams[0]!), ids))).toEqual(['NOT_FOUND']);
  });

  it.each([
    ['a hero listed twice', (ids: string[]) => [ids[0]!, ids[1]!, ids[0]!]],
    ['a team id where a hero id is expected', (ids: string[]) => [ids[0]!, teamId(1)]],
    ['a malformed hero id', (ids: string[]) => [ids[0]!, 'nope']],
    ['a forged hero id', (ids: string[]) => [ids[0]!, Buffer.from('Hero:-1').toString('base64')]],
  ])('%s is BAD_USER_INPUT, and nothing is written', async (_what, list) => {
    const before = await snapshot();
    const { result: answer, statements } = await recordSql(() =>
      write(teamId(teams[0]!), list([h(1), h(5)].map(heroId))),
    );
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
    expect(statements).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('a hero listed twice is named in the message', async () => {
    const answer = await write(teamId(teams[0]!), [h(1), h(5), h(1)].map(heroId));
    expect(answer.body.errors![0]!.message).toContain(heroId(h(1)));
  });

  it.each([
    ['a hero id where the team id is expected', heroId(1)],
    ['a malformed team id', 'nope'],
  ])('%s is BAD_USER_INPUT', async (_what, team) => {
    expect(codes(await write(team, [heroId(h(1))]))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('SQL statements of a bulk mutation', () => {
  const Counted = {
    addHeroesToTeam: graphql(`
      mutation BulkAddCounted($input: AddHeroesToTeamInput!) {
        addHeroesToTeam(input: $input) {
          added
          removed
          updated
          team {
            id
            name
          }
        }
      }
    `),
    removeHeroesFromTeam: graphql(`
      mutation BulkRemoveCounted($input: RemoveHeroesFromTeamInput!) {
        removeHeroesFromTeam(input: $input) {
          added
          removed
          updated
          team {
            id
            name
          }
        }
      }
    `),
    setTeamHeroes: graphql(`
      mutation BulkSetCounted($input: SetTeamHeroesInput!) {
        setTeamHeroes(input: $input) {
          added
          removed
          updated
          team {
            id
            name
          }
        }
      }
    `),
  };

  let many: number[] = [];
  beforeEach(async () => {
    many = await makeHeroes(1000, 'Many');
  });

  const heroesInput = (ids: number[]) => ids.map((id, i) => ({ heroId: heroId(id), isTraining: i % 3 === 0 }));

  // The transaction's statements: its locks, one statement per kind of write, and COMMIT (Prisma
  // reports no BEGIN). The payload's team is read again after it, for its counters: one statement.
  // setTeamHeroes locks the heroes it lists and the members it may drop, then checks after locking
  // the team that no one joined in between (src/links/locks.ts).
  const LockedHeroesAndMembers = expect.stringMatching(/FROM "Hero"\s+WHERE id = ANY\(.*\)\s+OR id IN .* FOR UPDATE/s);
  const JoinedMeanwhile = expect.stringMatching(/SELECT 1 FROM "HeroTeamLink"\s+WHERE "teamId" = .* <> ALL/s);
  const LockedHeroes = expect.stringMatching(/FROM "Hero" WHERE id = ANY\(.*\) ORDER BY id FOR UPDATE/);
  const LockedTeam = expect.stringMatching(/FROM "Team" WHERE id = \$1 FOR NO KEY UPDATE/);
  const Insert = expect.stringMatching(/INSERT INTO "HeroTeamLink" .* FROM unnest\(/s);
  const Update = expect.stringMatching(/UPDATE "HeroTeamLink" .* FROM unnest\(/s);
  const Delete = expect.stringMatching(/DELETE FROM "HeroTeamLink"/);
  // "COMMIT", or on PostgreSQL '-- Implicit "COMMIT" query via underlying driver'.
  const Commit = expect.stringMatching(/COMMIT/);
  const ReadTeam = expect.stringMatching(/FROM "Team" n WHERE n.id = ANY/);

  it('addHeroesToTeam of 10 and of 1,000 heroes: 5 statements either way', async () => {
    const add = (team: number, ids: number[]) =>
      recordSql(() => ok(Counted.addHeroesToTeam, { input: { teamId: teamId(team), heroes: heroesInput(ids) } }));
    const ten = await add(teams[0]!, many.slice(0, 10));
    const thousand = await add(teams[1]!, many);
    expect(ten.result.addHeroesToTeam).toMatchObject({ added: 10, team: { id: teamId(teams[0]!), name: 'Team 1' } });
    expect(thousand.result.addHeroesToTeam).toMatchObject({ added: 1000 });
    expect(ten.statements).toEqual([LockedHeroes, LockedTeam, Insert, Commit, ReadTeam]);
    expect(thousand.statements).toEqual([LockedHeroes, LockedTeam, Insert, Commit, ReadTeam]);
    expect(await prisma.heroTeamLink.count({ where: { teamId: teams[1]! } })).toBe(1000);
    await expectCountersExact();
  });

  it('removeHeroesFromTeam of 10 and of 1,000 heroes: 5 statements either way (the heroes first, whose teamCount changes)', async () => {
    await linkAll(many, teams.slice(0, 2));
    const remove = (team: number, ids: number[]) =>
      recordSql(() => ok(Counted.removeHeroesFromTeam, { input: { teamId: teamId(team), heroIds: ids.map(heroId) } }));
    const ten = await remove(teams[0]!, many.slice(0, 10));
    const thousand = await remove(teams[1]!, many);
    expect(ten.result.removeHeroesFromTeam).toMatchObject({ removed: 10 });
    expect(thousand.result.removeHeroesFromTeam).toMatchObject({ removed: 1000 });
    expect(ten.statements).toEqual([LockedHeroes, LockedTeam, Delete, Commit, ReadTeam]);
    expect(thousand.statements).toEqual([LockedHeroes, LockedTeam, Delete, Commit, ReadTeam]);
    expect(await prisma.heroTeamLink.count({ where: { teamId: teams[0]! } })).toBe(990);
    expect(await prisma.heroTeamLink.count({ where: { teamId: teams[1]! } })).toBe(0);
    await expectCountersExact();
  });

  it('setTeamHeroes of 10 and of 1,000 heroes: 8 statements either way', async () => {
    /** What setting `ids` must do to the team's memberships, from what they are now. */
    const expectedChange = async (team: number, ids: number[]) => {
      const wanted = new Map(heroesInput(ids).map((m, i) => [ids[i]!, m.isTraining]));
      const links = await prisma.heroTeamLink.findMany({ where: { teamId: team } });
      const kept = links.filter((link) => wanted.has(link.heroId));
      return {
        added: ids.length - kept.length,
        removed: links.length - kept.length,
        updated: kept.filter((link) => link.isTraining !== wanted.get(link.heroId)).length,
      };
    };
    const set = (team: number, ids: number[]) =>
      recordSql(() => ok(Counted.setTeamHeroes, { input: { teamId: teamId(team), heroes: heroesInput(ids) } }));
    // Each list: members that stay (some change their flag), new members, and members that go.
    await linkAll(many.slice(0, 10), [teams[0]!]);
    await linkAll(many.slice(500), [teams[1]!]);
    await linkAll(heroes, [teams[1]!]);
    const tenExpected = await expectedChange(teams[0]!, many.slice(5, 15));
    const thousandExpected = await expectedChange(teams[1]!, many);
    expect(tenExpected).toMatchObject({ added: 5, removed: 5 });
    expect(tenExpected.updated).toBeGreaterThan(0);
    expect(thousandExpected).toMatchObject({ added: 500, removed: 8 });
    expect(thousandExpected.updated).toBeGreaterThan(0);
    const ten = await set(teams[0]!, many.slice(5, 15));
    const thousand = await set(teams[1]!, many);
    expect(ten.result.setTeamHeroes).toMatchObject(tenExpected);
    expect(thousand.result.setTeamHeroes).toMatchObject(thousandExpected);
    const statements = [LockedHeroesAndMembers, LockedTeam, JoinedMeanwhile, Delete, Update, Insert, Commit, ReadTeam];
    expect(ten.statements).toEqual(statements);
    expect(thousand.statements).toEqual(statements);
    expect(await prisma.heroTeamLink.count({ where: { teamId: teams[1]! } })).toBe(1000);
    await expectCountersExact();
  });
});
