import { Client } from 'pg';
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
import { codes, executeOperation } from './support/graphql';
import { describeOnPostgres, waitUntilBlocked } from './support/postgres-only';

// Runs on PostgreSQL with a real pool (and on PGlite, where requests take turns on one connection).

beforeEach(() => resetDatabase({ seed: true }));

const Add = graphql(`
  mutation ConcurrentAdd($hero: ID!, $team: ID!) {
    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: true }) {
      isTraining
    }
  }
`);

const Remove = graphql(`
  mutation ConcurrentRemove($hero: ID!, $team: ID!) {
    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {
      removed
    }
  }
`);

const SetTeams = graphql(`
  mutation ConcurrentSet($hero: ID!, $teams: [MembershipInput!]!) {
    setHeroTeams(input: { heroId: $hero, teams: $teams }) {
      hero {
        teams(first: 50) {
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

const CreateHero = graphql(`
  mutation ConcurrentCreate($teams: [MembershipInput!]) {
    createHero(input: { name: "Racer", secretName: "R", teams: $teams }) {
      hero {
        id
      }
    }
  }
`);

const times = <T>(n: number, make: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => make(i)));

it('50 concurrent addHeroToTeam of one pair leave one link and no error', async () => {
  const answers = await times(50, () => executeOperation(Add, { hero: heroId(4), team: teamId(2) }));
  expect(answers.flatMap(codes)).toEqual([]);
  expect(answers.every((a) => a.body.data?.addHeroToTeam.isTraining === true)).toBe(true);
  expect(await prisma.heroTeamLink.count({ where: { heroId: 4, teamId: 2 } })).toBe(1);
});

it('50 concurrent removeHeroFromTeam leave none and no error; exactly one removed it', async () => {
  const answers = await times(50, () => executeOperation(Remove, { hero: heroId(1), team: teamId(2) }));
  expect(answers.flatMap(codes)).toEqual([]);
  expect(answers.filter((a) => a.body.data?.removeHeroFromTeam.removed)).toHaveLength(1);
  expect(await prisma.heroTeamLink.count({ where: { heroId: 1, teamId: 2 } })).toBe(0);
});

it("concurrent setHeroTeams for one hero end in exactly one caller's set, never a mix", async () => {
  const teams = await makeTeams(12, 'Squad');
  // Caller i asks for 4 teams of its own choosing, with its own isTraining flags.
  const sets = teams.map((_, i) =>
    [0, 1, 2, 3].map((k) => ({ teamId: teamId(teams[(i + k * 3) % teams.length]!), isTraining: (i + k) % 2 === 0 })),
  );
  const answers = await times(sets.length, (i) => executeOperation(SetTeams, { hero: heroId(1), teams: sets[i]! }));
  expect(answers.flatMap(codes)).toEqual([]);
  const final = (await prisma.heroTeamLink.findMany({ where: { heroId: 1 } }))
    .map((link) => `${teamId(link.teamId)}:${link.isTraining}`)
    .sort();
  const candidates = sets.map((set) => set.map((m) => `${m.teamId}:${m.isTraining}`).sort());
  expect(candidates).toContainEqual(final);
  // Payloads are read after commit: each shows a whole set (its own, or one committed after it).
  for (const answer of answers) {
    const seen = answer.body.data!.setHeroTeams.hero.teams.edges.map((e) => `${e.node.id}:${e.isTraining}`).sort();
    expect(candidates).toContainEqual(seen);
  }
});

it('concurrent createHero calls with one bad team id write nothing, beside good ones that write all', async () => {
  const before = await tableCounts();
  const good = [{ teamId: teamId(1) }, { teamId: teamId(2), isTraining: true }];
  const bad = [{ teamId: teamId(1) }, { teamId: teamId(999) }];
  const answers = await times(20, (i) => executeOperation(CreateHero, { teams: i % 2 === 0 ? good : bad }));
  expect(answers.filter((_, i) => i % 2 === 1).flatMap(codes)).toEqual(Array(10).fill('NOT_FOUND'));
  expect(answers.filter((_, i) => i % 2 === 0).flatMap(codes)).toEqual([]);
  expect(await tableCounts()).toEqual({ heroes: before.heroes + 10, teams: before.teams, links: before.links + 20 });
});

it('deleting a team while heroes join it leaves no orphan link', async () => {
  const [doomed] = await makeTeams(1, 'Doomed');
  const joins = times(30, (i) => executeOperation(Add, { hero: heroId((i % 7) + 1), team: teamId(doomed!) }));
  const deletion = executeOperation(
    graphql(`
      mutation DeleteDoomed($id: ID!) {
        deleteTeam(input: { id: $id }) {
          deletedId
        }
      }
    `),
    { id: teamId(doomed!) },
  );
  const answers = await joins;
  expect(codes(await deletion)).toEqual([]);
  for (const code of answers.flatMap(codes)) expect(code).toBe('NOT_FOUND');
  expect(await prisma.heroTeamLink.count({ where: { teamId: doomed! } })).toBe(0);
});

const Update = graphql(`
  mutation ConcurrentUpdate($hero: ID!, $team: ID!, $training: Boolean!) {
    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {
      isTraining
    }
  }
`);

const DeleteHero = graphql(`
  mutation ConcurrentDeleteHero($id: ID!) {
    deleteHero(input: { id: $id }) {
      deletedId
    }
  }
`);

const DeleteTeam = graphql(`
  mutation ConcurrentDeleteTeam($id: ID!) {
    deleteTeam(input: { id: $id }) {
      deletedId
    }
  }
`);

it("writes of every kind, at once on the same teams, keep the teams' counters exact and never deadlock", async () => {
  // Pairs that deadlock unless every write locks a team before its links (src/links/locks.ts):
  // removals and updates against deleteTeam's cascade, setHeroTeams against deleteHero.
  const teams = await makeTeams(5, 'Busy');
  const heroes = await makeHeroes(10, 'Busy');
  await linkAll(heroes, teams);
  const hero = (i: number) => heroId(heroes[i % heroes.length]!);
  const team = (i: number) => teamId(teams[i % teams.length]!);
  const writes = Array.from({ length: 80 }, (_, i) => {
    switch (i % 8) {
      case 0:
        return executeOperation(Remove, { hero: hero(i), team: team(i) });
      case 1:
        return executeOperation(Add, { hero: hero(i + 3), team: team(i) });
      case 2:
        return executeOperation(Update, { hero: hero(i), team: team(i + 1), training: i % 3 === 0 });
      case 3:
        return executeOperation(SetTeams, {
          hero: hero(i),
          teams: [team(i + 2), team(i), team(i + 4)].map((id) => ({ teamId: id, isTraining: i % 2 === 0 })),
        });
      case 4:
        return executeOperation(CreateHero, { teams: [team(i + 1), team(i)].map((id) => ({ teamId: id })) });
      case 5: // two of the five teams
        return i < 20
          ? executeOperation(DeleteTeam, { id: team(i) })
          : executeOperation(Add, { hero: hero(i), team: team(i) });
      case 6: // three of the ten heroes
        return i < 30
          ? executeOperation(DeleteHero, { id: hero(i) })
          : executeOperation(Remove, { hero: hero(i), team: team(i + 3) });
      default:
        return executeOperation(Remove, { hero: hero(i + 1), team: team(i + 2) });
    }
  });
  const answers = await Promise.all(writes);
  // Writes to a hero or a team deleted meanwhile fail as NOT_FOUND; nothing else may fail.
  for (const code of answers.flatMap(codes)) expect(code).toBe('NOT_FOUND');
  expect(await prisma.team.count({ where: { name: { startsWith: 'Busy' } } })).toBe(3);
  expect(await counterMismatches()).toEqual([]);
  const orphans = await prisma.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM "HeroTeamLink" l
    WHERE NOT EXISTS (SELECT 1 FROM "Team" t WHERE t.id = l."teamId")`;
  expect(orphans[0]!.count).toBe(0);
});

const BulkAdd = graphql(`
  mutation ConcurrentBulkAdd($team: ID!, $heroes: [HeroMembershipInput!]!) {
    addHeroesToTeam(input: { teamId: $team, heroes: $heroes }) {
      added
    }
  }
`);

const BulkRemove = graphql(`
  mutation ConcurrentBulkRemove($team: ID!, $ids: [ID!]!) {
    removeHeroesFromTeam(input: { teamId: $team, heroIds: $ids }) {
      removed
    }
  }
`);

const BulkSet = graphql(`
  mutation ConcurrentBulkSet($team: ID!, $heroes: [HeroMembershipInput!]!) {
    setTeamHeroes(input: { teamId: $team, heroes: $heroes }) {
      added
      removed
      updated
    }
  }
`);

/** Links whose team or hero is gone. */
async function orphanLinks(): Promise<number> {
  const [row] = await prisma.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM "HeroTeamLink" l
    WHERE NOT EXISTS (SELECT 1 FROM "Team" t WHERE t.id = l."teamId")
       OR NOT EXISTS (SELECT 1 FROM "Hero" h WHERE h.id = l."heroId")`;
  return row!.count;
}

it('bulk writes of many heroes, at once with writes of every kind on the same rows, keep the counters exact and never deadlock', async () => {
  // Each bulk write holds 20 heroes and one team; the single writes take the same heroes and teams
  // from the other side (src/links/locks.ts). A deadlock would surface as a masked error.
  const teams = await makeTeams(4, 'Bulk');
  const heroes = await makeHeroes(60, 'Bulk');
  await linkAll(
    heroes.filter((_, i) => i % 2 === 0),
    teams,
  );
  const hero = (i: number) => heroId(heroes[i % heroes.length]!);
  const team = (i: number) => teamId(teams[i % teams.length]!);
  // 20 different heroes, every third one from `from`, in an order of their own (lists need no order).
  const some = (from: number) => Array.from({ length: 20 }, (_, k) => hero(from + ((k * 7) % 20) * 3));
  const flagged = (ids: string[]) => ids.map((id, k) => ({ heroId: id, isTraining: k % 3 === 0 }));
  const writes = Array.from({ length: 72 }, (_, i) => {
    const round = Math.floor(i / 9);
    switch (i % 9) {
      case 0:
        return executeOperation(BulkAdd, { team: team(round), heroes: flagged(some(round)) });
      case 1:
        return executeOperation(BulkRemove, { team: team(round + 1), ids: some(round + 1) });
      case 2:
        return executeOperation(BulkSet, { team: team(round + 2), heroes: flagged(some(round + 2)) });
      case 3:
        return executeOperation(SetTeams, {
          hero: hero(i),
          teams: [team(i + 1), team(i)].map((id) => ({ teamId: id, isTraining: true })),
        });
      case 4: // two of the sixty heroes
        return i < 18
          ? executeOperation(DeleteHero, { id: hero(i) })
          : executeOperation(Add, { hero: hero(i), team: team(i) });
      case 5: // one of the four teams
        return i === 5
          ? executeOperation(DeleteTeam, { id: team(i) })
          : executeOperation(Remove, { hero: hero(i), team: team(i + 1) });
      case 6:
        return executeOperation(Add, { hero: hero(i + 1), team: team(round) });
      case 7:
        return executeOperation(Update, { hero: hero(i), team: team(round), training: i % 2 === 0 });
      default:
        return executeOperation(BulkAdd, { team: team(round + 3), heroes: flagged(some(round + 5).reverse()) });
    }
  });
  const answers = await Promise.all(writes);
  for (const code of answers.flatMap(codes)) expect(code).toBe('NOT_FOUND');
  // Lists without a deleted hero, on teams that stay, succeed: every kind of bulk write did.
  for (const field of ['addHeroesToTeam', 'removeHeroesFromTeam', 'setTeamHeroes']) {
    expect(answers.some((answer) => answer.body.data && field in answer.body.data)).toBe(true);
  }
  expect(await prisma.team.count({ where: { name: { startsWith: 'Bulk' } } })).toBe(3);
  expect(await prisma.hero.count({ where: { name: { startsWith: 'Bulk' } } })).toBe(58);
  expect(await counterMismatches()).toEqual([]);
  expect(await orphanLinks()).toBe(0);
});

it('a 1,000-hero addHeroesToTeam meeting deleteHero of some of its heroes and setHeroTeams of others: all or nothing, no deadlock', async () => {
  const many = await makeHeroes(1000, 'Large');
  const [target, elsewhere] = await makeTeams(2, 'Large');
  const doomed = [7, 250, 500, 750, 993].map((i) => many[i]!);
  const replaced = many.slice(100, 120);
  const deleteHero = (id: number) => executeOperation(DeleteHero, { id: heroId(id) });
  const setTeams = (id: number) =>
    executeOperation(SetTeams, {
      hero: heroId(id),
      teams: [{ teamId: teamId(target!), isTraining: true }, { teamId: teamId(elsewhere!) }],
    });
  // Some of the others start before the add, some after: either may come first.
  const before = [deleteHero(doomed[0]!), ...replaced.slice(0, 10).map(setTeams)];
  const add = executeOperation(BulkAdd, { team: teamId(target!), heroes: many.map((id) => ({ heroId: heroId(id) })) });
  const after = [...doomed.slice(1).map(deleteHero), ...replaced.slice(10).map(setTeams)];
  const others = await Promise.all([...before, ...after]);
  expect(others.flatMap(codes)).toEqual([]);
  const added = await add;

  const members = await prisma.heroTeamLink.findMany({ where: { teamId: target! }, orderBy: { heroId: 'asc' } });
  const inTraining = members.filter((link) => link.isTraining).map((link) => link.heroId);
  // setHeroTeams made its heroes members in training, before or after the add, which keeps them.
  expect(inTraining).toEqual(replaced);
  if (codes(added).length === 0) {
    // The whole add: every hero that survived it is a member.
    expect(members.map((link) => link.heroId)).toEqual(many.filter((id) => !doomed.includes(id)));
    expect(added.body.data!.addHeroesToTeam.added).toBeGreaterThanOrEqual(1000 - replaced.length);
  } else {
    // Nothing of it: a deleted hero is named, and only setHeroTeams' memberships are there.
    expect(codes(added)).toEqual(['NOT_FOUND']);
    expect(doomed.map(heroId)).toContainEqual(added.body.errors![0]!.message.match(/No hero with id (\S+)/)?.[1]);
    expect(members.map((link) => link.heroId)).toEqual(replaced);
  }
  expect(await counterMismatches()).toEqual([]);
  expect(await orphanLinks()).toBe(0);
});

/** What deleteTeam does before its cascade (src/links/locks.ts): its members, then the team. */
async function lockAsDeleteTeam(other: Client, team: number): Promise<void> {
  await other.query(
    `SELECT id FROM "Hero" WHERE id IN (SELECT "heroId" FROM "HeroTeamLink" WHERE "teamId" = $1)
     ORDER BY id FOR NO KEY UPDATE`,
    [team],
  );
  await other.query('SELECT id FROM "Team" WHERE id = $1 FOR UPDATE', [team]);
}

// deleteTeam locks the team's members (whose Hero."teamCount" its cascade changes), then the team,
// then its cascade deletes the links. A removal or an update that took the link first and only
// then, in the counters' trigger, the team, would deadlock with it: each write locks its hero (if
// its count changes) and the team before the link (src/links/locks.ts). Played step by step on
// PostgreSQL, where a second connection can hold the rows as deleteTeam does.
describeOnPostgres('a write to a membership meets deleteTeam holding its members and the team', () => {
  const cases = [
    ['removeHeroFromTeam', (hero: string, team: string) => executeOperation(Remove, { hero, team })],
    ['updateMembership', (hero: string, team: string) => executeOperation(Update, { hero, team, training: false })],
  ] as const;
  it.each(cases)('%s waits without holding the team or the link, then finds no membership', async (_, write) => {
    const [hero] = await makeHeroes(1, 'Waiting');
    const [team] = await makeTeams(1, 'Deleted');
    await linkAll([hero!], [team!]);
    const other = new Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await lockAsDeleteTeam(other, team!);
      const answer = write(heroId(hero!), teamId(team!));
      await waitUntilBlocked(other);
      // As deleteTeam's cascade: needs the link, which the waiting write must not hold.
      await other.query("SET LOCAL lock_timeout = '5s'");
      await other.query('DELETE FROM "Team" WHERE id = $1', [team]);
      await other.query('COMMIT');
      const { body } = await answer;
      expect(body.errors?.map((e) => e.extensions?.code) ?? []).toEqual(
        _ === 'removeHeroFromTeam' ? [] : ['NOT_FOUND'],
      );
    } finally {
      await other.end();
    }
    expect(await counterMismatches()).toEqual([]);
  });
});

// setHeroTeams locks the hero, then writes its links. An addHeroToTeam that inserted its link first
// and only then, checking its foreign key, waited for the hero, would deadlock with it: setHeroTeams'
// insert of the same membership waits for that uncommitted link. Played step by step, a second
// connection doing what setHeroTeams does.
describeOnPostgres('addHeroToTeam meets setHeroTeams holding the hero', () => {
  it('waits for the hero without holding a link, then finds the membership setHeroTeams made', async () => {
    const [hero] = await makeHeroes(1, 'Replaced');
    const [team] = await makeTeams(1, 'Joined');
    const other = new Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM "Hero" WHERE id = $1 FOR UPDATE', [hero]);
      const answer = executeOperation(Add, { hero: heroId(hero!), team: teamId(team!) });
      await waitUntilBlocked(other);
      await other.query("SET LOCAL lock_timeout = '5s'");
      await other.query(
        `INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining") VALUES ($1, $2, false)
         ON CONFLICT ("teamId", "heroId") DO UPDATE SET "isTraining" = EXCLUDED."isTraining"`,
        [team, hero],
      );
      await other.query('COMMIT');
      const { body } = await answer;
      expect(body.errors).toBeUndefined();
      // The membership setHeroTeams made is left as it is.
      expect(body.data?.addHeroToTeam.isTraining).toBe(false);
    } finally {
      await other.end();
    }
    expect(await counterMismatches()).toEqual([]);
  });
});

// A bulk add holds its heroes, then its team, while it writes many links. Played step by step on
// PostgreSQL: it must wait for a hero setHeroTeams holds without holding a link, and leave the
// membership setHeroTeams made as it is.
describeOnPostgres('addHeroesToTeam meets setHeroTeams holding one of its heroes', () => {
  it('waits for the hero without holding a link, then adds the others and keeps that membership', async () => {
    const heroes = await makeHeroes(3, 'Listed');
    const [team] = await makeTeams(1, 'Joined');
    const held = heroes[1]!;
    const other = new Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM "Hero" WHERE id = $1 FOR UPDATE', [held]);
      const answer = executeOperation(BulkAdd, {
        team: teamId(team!),
        heroes: heroes.map((id) => ({ heroId: heroId(id), isTraining: false })),
      });
      await waitUntilBlocked(other);
      // As setHeroTeams' insert: it would wait for a link the bulk add held, until lock_timeout.
      await other.query("SET LOCAL lock_timeout = '5s'");
      await other.query(
        `INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining") VALUES ($1, $2, true)
         ON CONFLICT ("teamId", "heroId") DO UPDATE SET "isTraining" = EXCLUDED."isTraining"`,
        [team, held],
      );
      await other.query('COMMIT');
      const { body } = await answer;
      expect(body.errors).toBeUndefined();
      expect(body.data?.addHeroesToTeam.added).toBe(2);
    } finally {
      await other.end();
    }
    const links = await prisma.heroTeamLink.findMany({ where: { teamId: team! }, orderBy: { heroId: 'asc' } });
    expect(links.map((link) => [link.heroId, link.isTraining])).toEqual([
      [heroes[0], false],
      [held, true],
      [heroes[2], false],
    ]);
    expect(await counterMismatches()).toEqual([]);
  });
});

describeOnPostgres('a bulk write meets deleteTeam holding its members and the team', () => {
  const cases = [
    [
      'setTeamHeroes',
      (team: string, ids: string[]) => executeOperation(BulkSet, { team, heroes: [{ heroId: ids[0]! }] }),
    ],
    ['removeHeroesFromTeam', (team: string, ids: string[]) => executeOperation(BulkRemove, { team, ids })],
  ] as const;
  it.each(cases)('%s waits without holding the team or a link, then reports the team NOT_FOUND', async (_, write) => {
    const heroes = await makeHeroes(3, 'Waiting');
    const [team] = await makeTeams(1, 'Deleted');
    await linkAll(heroes, [team!]);
    const other = new Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await lockAsDeleteTeam(other, team!);
      const answer = write(teamId(team!), heroes.map(heroId));
      await waitUntilBlocked(other);
      // As deleteTeam's cascade: needs every link of the team, which the waiting write must not hold.
      await other.query("SET LOCAL lock_timeout = '5s'");
      await other.query('DELETE FROM "Team" WHERE id = $1', [team]);
      await other.query('COMMIT');
      const { body } = await answer;
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      expect(body.errors?.[0]?.message).toContain(teamId(team!));
    } finally {
      await other.end();
    }
    expect(await prisma.heroTeamLink.count({ where: { teamId: team! } })).toBe(0);
    expect(await counterMismatches()).toEqual([]);
  });
});

// addHeroToTeam inserts its link, then waits for the team in the counters' trigger. A bulk write
// that held the team and only key-share locks on its heroes would then wait for that new link:
// a deadlock. Bulk writes lock their heroes FOR UPDATE, so addHeroToTeam waits before it inserts
// (src/links/locks.ts). Played step by step: a third writer holds the team while both queue for it.
describeOnPostgres('a bulk write waiting for its team meets addHeroToTeam of one of its heroes', () => {
  const cases = [
    ['addHeroesToTeam', (team: string, heroes: { heroId: string }[]) => executeOperation(BulkAdd, { team, heroes })],
    ['setTeamHeroes', (team: string, heroes: { heroId: string }[]) => executeOperation(BulkSet, { team, heroes })],
  ] as const;
  it.each(cases)('%s and addHeroToTeam both succeed, one after the other', async (_, write) => {
    const heroes = await makeHeroes(3, 'Contested');
    const [team] = await makeTeams(1, 'Contested');
    const other = new Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM "Team" WHERE id = $1 FOR NO KEY UPDATE', [team]);
      const bulk = write(
        teamId(team!),
        heroes.map((id) => ({ heroId: heroId(id) })),
      );
      await waitUntilBlocked(other);
      const single = executeOperation(Add, { hero: heroId(heroes[1]!), team: teamId(team!) });
      await waitUntilBlocked(other, 2);
      await other.query('COMMIT');
      const [bulkAnswer, singleAnswer] = await Promise.all([bulk, single]);
      expect(codes(bulkAnswer)).toEqual([]);
      expect(codes(singleAnswer)).toEqual([]);
      // The bulk write went first: addHeroToTeam found its membership and left it as it was.
      expect(singleAnswer.body.data?.addHeroToTeam.isTraining).toBe(false);
    } finally {
      await other.end();
    }
    expect(await prisma.heroTeamLink.count({ where: { teamId: team! } })).toBe(3);
    expect(await counterMismatches()).toEqual([]);
  });
});

// Hero."teamCount" is kept by the links' trigger, which locks the heroes whose count changes. The
// deadlock an earlier design note found: a write holding a team (a removal, deleteTeam's cascade)
// whose trigger then waits for a hero that setHeroTeams holds FOR UPDATE while waiting for that
// team. Each write now locks its heroes before its team (src/links/locks.ts). Played step by step:
// a second connection does what setHeroTeams does, holding the hero and then asking for the team,
// which it must get (under lock_timeout) while the write under test waits for the hero holding
// nothing.
describeOnPostgres("a write that changes a hero's teamCount meets setHeroTeams holding the hero", () => {
  const DeleteTeamOf = (team: string) => executeOperation(DeleteTeam, { id: team });
  const cases = [
    ['removeHeroFromTeam', (hero: string, team: string) => executeOperation(Remove, { hero, team })],
    ['removeHeroesFromTeam', (hero: string, team: string) => executeOperation(BulkRemove, { team, ids: [hero] })],
    ['setTeamHeroes', (_hero: string, team: string) => executeOperation(BulkSet, { team, heroes: [] })],
    ['deleteTeam', (_hero: string, team: string) => DeleteTeamOf(team)],
  ] as const;
  it.each(cases)('%s waits for the hero holding no team, and setHeroTeams goes first', async (name, write) => {
    const [hero] = await makeHeroes(1, 'Held');
    const [team] = await makeTeams(1, 'Wanted');
    await linkAll([hero!], [team!]);
    const other = new Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM "Hero" WHERE id = $1 FOR UPDATE', [hero]);
      const answer = write(heroId(hero!), teamId(team!));
      await waitUntilBlocked(other);
      // setHeroTeams' second step: the team, which the waiting write must not hold.
      await other.query("SET LOCAL lock_timeout = '5s'");
      await other.query('SELECT id FROM "Team" WHERE id = $1 FOR NO KEY UPDATE', [team]);
      await other.query('UPDATE "HeroTeamLink" SET "isTraining" = true WHERE "heroId" = $1 AND "teamId" = $2', [
        hero,
        team,
      ]);
      await other.query('COMMIT');
      expect(codes(await answer)).toEqual([]);
    } finally {
      await other.end();
    }
    expect(await prisma.heroTeamLink.count({ where: { heroId: hero! } })).toBe(0);
    if (name !== 'deleteTeam') expect(await prisma.team.count({ where: { id: team! } })).toBe(1);
    expect(await counterMismatches()).toEqual([]);
  });
});

// deleteTeam locks the members it reads, then the team. A hero that joined in between is not
// locked: rather than let the cascade's trigger wait for it while holding the team, deleteTeam
// starts again (src/links/locks.ts, retryWhileLinkedMeanwhile). Played step by step: deleteTeam
// waits for a member; meanwhile another hero joins and a third connection, as setHeroTeams, takes
// that hero; once deleteTeam goes on, the third connection must still get the team.
describeOnPostgres('deleteTeam meets a hero that joined after it read the members', () => {
  it('starts again rather than hold the team waiting for the new member', async () => {
    const [member, joiner] = await makeHeroes(2, 'Racing');
    const [team] = await makeTeams(1, 'Racing');
    await linkAll([member!], [team!]);
    const holder = new Client({ connectionString: process.env.DATABASE_URL });
    const setter = new Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
    await setter.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM "Hero" WHERE id = $1 FOR UPDATE', [member]);
      const deletion = executeOperation(DeleteTeam, { id: teamId(team!) });
      await waitUntilBlocked(holder);
      await prisma.heroTeamLink.create({ data: { heroId: joiner!, teamId: team! } });
      await setter.query('BEGIN');
      await setter.query('SELECT id FROM "Hero" WHERE id = $1 FOR UPDATE', [joiner]);
      await holder.query('COMMIT');
      // deleteTeam now has its member and the team, finds the joiner unlocked and starts again,
      // waiting for the joiner without holding the team.
      await waitUntilBlocked(setter);
      await setter.query("SET LOCAL lock_timeout = '5s'");
      await setter.query('SELECT id FROM "Team" WHERE id = $1 FOR NO KEY UPDATE', [team]);
      await setter.query('COMMIT');
      expect(codes(await deletion)).toEqual([]);
    } finally {
      await holder.end();
      await setter.end();
    }
    expect(await prisma.team.count({ where: { id: team! } })).toBe(0);
    expect(await prisma.heroTeamLink.count({ where: { teamId: team! } })).toBe(0);
    expect(await counterMismatches()).toEqual([]);
  });
});
