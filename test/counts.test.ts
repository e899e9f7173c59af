import { prisma } from '../src/db';
import { graphql } from './gql';
import { counterMismatches, heroId, linkAll, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { codes, executeOperation, ok, recordSql } from './support/graphql';

// A team's totalCount comes from counters on its row (Team."heroCount", "trainingHeroCount"),
// kept by triggers on HeroTeamLink. Whatever writes the links, the counters must equal a count.

let teams: number[] = [];
let heroes: number[] = [];

beforeEach(async () => {
  await resetDatabase();
  teams = await makeTeams(4);
  heroes = await makeHeroes(6);
  await linkAll(heroes.slice(0, 4), teams.slice(0, 3));
});

async function expectCountersExact() {
  expect(await prisma.team.count()).toBeGreaterThan(0);
  expect(await counterMismatches()).toEqual([]);
}

/** What counting a team's links gives: all and in training. */
async function counted(team: number): Promise<[number, number]> {
  const [row] = await prisma.$queryRaw<{ all: number; training: number }[]>`
    SELECT count(*)::int AS all, count(*) FILTER (WHERE "isTraining")::int AS training
    FROM "HeroTeamLink" WHERE "teamId" = ${team}`;
  return [row!.all, row!.training];
}

const TeamCounts = graphql(`
  query TeamCounts($id: ID!) {
    team(id: $id) {
      all: heroes {
        totalCount
      }
      training: heroes(isTraining: true) {
        totalCount
      }
      notTraining: heroes(isTraining: false) {
        totalCount
      }
    }
  }
`);

async function totals(team: number) {
  const { team: found } = await ok(TeamCounts, { id: teamId(team) });
  return [found!.all.totalCount, found!.training.totalCount, found!.notTraining.totalCount];
}

const AddHero = graphql(`
  mutation CountAdd($hero: ID!, $team: ID!, $training: Boolean) {
    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: $training }) {
      team {
        heroes {
          totalCount
        }
      }
    }
  }
`);

const UpdateMembership = graphql(`
  mutation CountUpdate($hero: ID!, $team: ID!, $training: Boolean!) {
    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {
      team {
        heroes(isTraining: true) {
          totalCount
        }
      }
    }
  }
`);

const RemoveHero = graphql(`
  mutation CountRemove($hero: ID!, $team: ID!) {
    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {
      removed
      team {
        heroes {
          totalCount
        }
      }
    }
  }
`);

const SetTeams = graphql(`
  mutation CountSet($hero: ID!, $teams: [MembershipInput!]!) {
    setHeroTeams(input: { heroId: $hero, teams: $teams }) {
      hero {
        id
      }
    }
  }
`);

const CreateHero = graphql(`
  mutation CountCreate($teams: [MembershipInput!]) {
    createHero(input: { name: "Counted", secretName: "C", teams: $teams }) {
      hero {
        id
      }
    }
  }
`);

const DeleteHero = graphql(`
  mutation CountDeleteHero($id: ID!) {
    deleteHero(input: { id: $id }) {
      deletedId
    }
  }
`);

const DeleteTeam = graphql(`
  mutation CountDeleteTeam($id: ID!) {
    deleteTeam(input: { id: $id }) {
      deletedId
    }
  }
`);

describe("a team's totalCount", () => {
  it('reads the counters: all, in training and not, as counting the links gives them', async () => {
    // linkAll: hero h in team t is in training when (h + t) % 3 === 0.
    expect(await totals(teams[0]!)).toEqual([4, 2, 2]);
    expect(await totals(teams[1]!)).toEqual([4, 1, 3]);
    expect(await totals(teams[3]!)).toEqual([0, 0, 0]);
    await expectCountersExact();
  });

  it('follows addHeroToTeam, once for a new membership and not for one that exists', async () => {
    const first = await ok(AddHero, { hero: heroId(heroes[5]!), team: teamId(teams[3]!), training: true });
    expect(first.addHeroToTeam.team.heroes.totalCount).toBe(1);
    const again = await ok(AddHero, { hero: heroId(heroes[5]!), team: teamId(teams[3]!), training: false });
    expect(again.addHeroToTeam.team.heroes.totalCount).toBe(1);
    expect(await totals(teams[3]!)).toEqual([1, 1, 0]);
    await expectCountersExact();
  });

  it('follows updateMembership in both directions, and an update that changes nothing', async () => {
    const [all, training] = await totals(teams[0]!);
    // Hero 1 is not in training with team 0 (linkAll).
    const onTraining = await ok(UpdateMembership, {
      hero: heroId(heroes[1]!),
      team: teamId(teams[0]!),
      training: true,
    });
    expect(onTraining.updateMembership.team.heroes.totalCount).toBe(training! + 1);
    await ok(UpdateMembership, { hero: heroId(heroes[1]!), team: teamId(teams[0]!), training: true });
    expect(await totals(teams[0]!)).toEqual([all, training! + 1, all! - training! - 1]);
    await ok(UpdateMembership, { hero: heroId(heroes[1]!), team: teamId(teams[0]!), training: false });
    expect(await totals(teams[0]!)).toEqual([all, training, all! - training!]);
    await expectCountersExact();
  });

  it('follows removeHeroFromTeam, and not a removal of a membership that does not exist', async () => {
    const removed = await ok(RemoveHero, { hero: heroId(heroes[0]!), team: teamId(teams[0]!) });
    expect(removed.removeHeroFromTeam).toEqual({ removed: true, team: { heroes: { totalCount: 3 } } });
    const absent = await ok(RemoveHero, { hero: heroId(heroes[5]!), team: teamId(teams[0]!) });
    expect(absent.removeHeroFromTeam).toEqual({ removed: false, team: { heroes: { totalCount: 3 } } });
    await expectCountersExact();
  });

  it('follows setHeroTeams: teams left, joined, kept with a new flag', async () => {
    // Hero 0 is in teams 0, 1, 2 (training in team 0 only): leave 1, keep 0 and 2 flipped, join 3.
    await ok(SetTeams, {
      hero: heroId(heroes[0]!),
      teams: [
        { teamId: teamId(teams[0]!), isTraining: false },
        { teamId: teamId(teams[2]!), isTraining: true },
        { teamId: teamId(teams[3]!), isTraining: true },
      ],
    });
    expect(await totals(teams[0]!)).toEqual([4, 1, 3]);
    expect(await totals(teams[1]!)).toEqual([3, 1, 2]);
    expect(await totals(teams[3]!)).toEqual([1, 1, 0]);
    await ok(SetTeams, { hero: heroId(heroes[0]!), teams: [] });
    await expectCountersExact();
  });

  it('follows createHero with teams, and a createHero that fails changes nothing', async () => {
    await ok(CreateHero, { teams: [{ teamId: teamId(teams[0]!), isTraining: true }, { teamId: teamId(teams[3]!) }] });
    expect(await totals(teams[0]!)).toEqual([5, 3, 2]);
    expect(await totals(teams[3]!)).toEqual([1, 0, 1]);
    const failed = await executeOperation(CreateHero, {
      teams: [{ teamId: teamId(teams[1]!) }, { teamId: teamId(999_999) }],
    });
    expect(codes(failed)).toEqual(['NOT_FOUND']);
    expect(await totals(teams[1]!)).toEqual([4, 1, 3]);
    await expectCountersExact();
  });

  it('follows deleteHero and deleteTeam, whose cascades remove the links', async () => {
    expect(codes(await executeOperation(DeleteHero, { id: heroId(heroes[1]!) }))).toEqual([]);
    expect(await totals(teams[0]!)).toEqual([3, 2, 1]);
    expect(codes(await executeOperation(DeleteTeam, { id: teamId(teams[0]!) }))).toEqual([]);
    await expectCountersExact();
  });

  it('follows links written in SQL by hand: bulk inserts, key updates, deletes and TRUNCATE', async () => {
    await prisma.$executeRaw`
      INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining")
      SELECT t, h, (t + h) % 2 = 0 FROM unnest(${teams}::int[]) t, unnest(${heroes}::int[]) h
      ON CONFLICT DO NOTHING`;
    await expectCountersExact();
    // Moving memberships to another team (and the team's id itself, which cascades to the links).
    await prisma.$executeRaw`DELETE FROM "HeroTeamLink" WHERE "teamId" = ${teams[3]!}`;
    await prisma.$executeRaw`UPDATE "HeroTeamLink" SET "teamId" = ${teams[3]!} WHERE "teamId" = ${teams[2]!}`;
    await prisma.$executeRaw`UPDATE "Team" SET id = 1000 WHERE id = ${teams[0]!}`;
    await prisma.$executeRaw`UPDATE "HeroTeamLink" SET "isTraining" = NOT "isTraining" WHERE "heroId" = ${heroes[0]!}`;
    await expectCountersExact();
    const [all, training] = await counted(1000);
    expect(all).toBeGreaterThan(0);
    expect(await totals(1000)).toEqual([all, training, all - training]);
    await prisma.$executeRawUnsafe('TRUNCATE "HeroTeamLink"');
    expect(await totals(teams[1]!)).toEqual([0, 0, 0]);
    await expectCountersExact();
  });

  it("costs one statement that reads teams' rows, not their links, whatever their size", async () => {
    const [giant] = await makeTeams(1, 'Giant');
    const members = await makeHeroes(3000, 'Member');
    await prisma.heroTeamLink.createMany({
      data: members.map((hero, i) => ({ heroId: hero, teamId: giant!, isTraining: i % 3 === 0 })),
    });
    const recorded = await recordSql(() => totals(giant!));
    expect(recorded.result).toEqual([3000, 1000, 2000]);
    // The three counts share one statement, beside team(id:) and the three pages.
    const counting = recorded.statements.filter((sql) => sql.includes('AS total'));
    expect(counting).toHaveLength(1);
    expect(counting[0]).not.toContain('HeroTeamLink');
    const small = await recordSql(() => totals(teams[0]!));
    expect(small.statements).toHaveLength(recorded.statements.length);
  });
});
