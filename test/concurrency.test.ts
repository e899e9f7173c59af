import { prisma } from '../src/db';
import { graphql } from './gql';
import { heroId, makeTeams, resetDatabase, tableCounts, teamId } from './support/factories';
import { codes, executeOperation } from './support/graphql';

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
