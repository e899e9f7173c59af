import { prisma } from '../src/db';
import { graphql } from './gql';
import { heroId, makeTeams, resetDatabase, teamId } from './support/factories';
import { ok, recordSql } from './support/graphql';

// The edges of the membership payloads are what Relay's @appendEdge inserts into a client's
// connections, and the removed ids what @deleteEdge takes out: each edge must be the one the
// connection itself lists for that membership, cursor included, or a client's list goes wrong.

beforeEach(() => resetDatabase({ seed: true }));

const AddHeroToTeam = graphql(`
  mutation AddHeroToTeamEdges($input: AddHeroToTeamInput!) {
    addHeroToTeam(input: $input) {
      isTraining
      heroTeamsEdge {
        cursor
        isTraining
        joinedAt
        node {
          id
          name
        }
      }
      teamHeroesEdge {
        cursor
        isTraining
        joinedAt
        node {
          id
          name
        }
      }
    }
  }
`);

const AddHeroToTeamPlain = graphql(`
  mutation AddHeroToTeamPlain($input: AddHeroToTeamInput!) {
    addHeroToTeam(input: $input) {
      isTraining
    }
  }
`);

const UpdateMembership = graphql(`
  mutation UpdateMembershipEdges($input: UpdateMembershipInput!) {
    updateMembership(input: $input) {
      isTraining
      heroTeamsEdge {
        cursor
        isTraining
        joinedAt
        node {
          id
          name
        }
      }
      teamHeroesEdge {
        cursor
        isTraining
        joinedAt
        node {
          id
          name
        }
      }
    }
  }
`);

const RemoveHeroFromTeam = graphql(`
  mutation RemoveHeroFromTeamIds($input: RemoveHeroFromTeamInput!) {
    removeHeroFromTeam(input: $input) {
      removed
      removedHeroId
      removedTeamId
    }
  }
`);

// Both connections in their default order (by id), as a client that appends the payload's edge
// to them has queried them.
const Memberships = graphql(`
  query MembershipEdges($hero: ID!, $team: ID!, $heroTeamsAfter: String, $teamHeroesAfter: String) {
    hero(id: $hero) {
      teams(after: $heroTeamsAfter) {
        edges {
          cursor
          isTraining
          joinedAt
          node {
            id
            name
          }
        }
      }
    }
    team(id: $team) {
      heroes(after: $teamHeroesAfter) {
        edges {
          cursor
          isTraining
          joinedAt
          node {
            id
            name
          }
        }
      }
    }
  }
`);

async function memberships(hero: number, team: number, after: { heroTeams?: string; teamHeroes?: string } = {}) {
  const data = await ok(Memberships, {
    hero: heroId(hero),
    team: teamId(team),
    heroTeamsAfter: after.heroTeams ?? null,
    teamHeroesAfter: after.teamHeroes ?? null,
  });
  return { heroTeams: data.hero!.teams.edges, teamHeroes: data.team!.heroes.edges };
}

async function storedLink(hero: number, team: number) {
  return prisma.heroTeamLink.findUniqueOrThrow({ where: { teamId_heroId: { teamId: team, heroId: hero } } });
}

/**
 * Black Lion (hero 5) in Preventers (team 1) and a new team after `team`, and `team` (new) holding
 * heroes 4 and 6: a membership of hero 5 and `team` then lies in the middle of both lists, with a
 * neighbour on each side.
 */
async function membershipInTheMiddle(): Promise<{ team: number; nextTeam: number }> {
  const [team, nextTeam] = (await makeTeams(2, 'Extra')) as [number, number];
  await prisma.heroTeamLink.createMany({
    data: [
      { heroId: 5, teamId: 1 },
      { heroId: 5, teamId: nextTeam },
      { heroId: 4, teamId: team },
      { heroId: 6, teamId: team, isTraining: true },
    ],
  });
  return { team, nextTeam };
}

describe('addHeroToTeam', () => {
  it('returns the membership as an edge of both connections, the same edge each connection lists', async () => {
    const { team, nextTeam } = await membershipInTheMiddle();
    const data = await ok(AddHeroToTeam, { input: { heroId: heroId(5), teamId: teamId(team), isTraining: true } });
    const { heroTeamsEdge, teamHeroesEdge } = data.addHeroToTeam;
    const link = await storedLink(5, team);
    expect(link.isTraining).toBe(true);

    expect(heroTeamsEdge).toEqual({
      cursor: expect.any(String),
      isTraining: true,
      joinedAt: link.joinedAt.toISOString(),
      node: { id: teamId(team), name: 'Extra 1' },
    });
    expect(teamHeroesEdge).toEqual({
      cursor: expect.any(String),
      isTraining: true,
      joinedAt: link.joinedAt.toISOString(),
      node: { id: heroId(5), name: 'Black Lion' },
    });

    // Cursor and all: the edge each connection lists for this membership in its default order.
    const lists = await memberships(5, team);
    expect(lists.heroTeams.map((edge) => edge.node.id)).toEqual([teamId(1), teamId(team), teamId(nextTeam)]);
    expect(lists.teamHeroes.map((edge) => edge.node.id)).toEqual([heroId(4), heroId(5), heroId(6)]);
    expect(lists.heroTeams[1]).toEqual(heroTeamsEdge);
    expect(lists.teamHeroes[1]).toEqual(teamHeroesEdge);

    // As `after`, the cursor continues each list right after the membership.
    const rest = await memberships(5, team, { heroTeams: heroTeamsEdge.cursor, teamHeroes: teamHeroesEdge.cursor });
    expect(rest.heroTeams).toEqual(lists.heroTeams.slice(2));
    expect(rest.teamHeroes).toEqual(lists.teamHeroes.slice(2));
  });

  it('returns the existing membership, unchanged, when it existed already', async () => {
    const before = await storedLink(1, 1);
    expect(before.isTraining).toBe(true);
    const data = await ok(AddHeroToTeam, { input: { heroId: heroId(1), teamId: teamId(1), isTraining: false } });
    const { heroTeamsEdge, teamHeroesEdge } = data.addHeroToTeam;
    expect(heroTeamsEdge).toMatchObject({ isTraining: true, joinedAt: before.joinedAt.toISOString() });
    expect(teamHeroesEdge).toMatchObject({ isTraining: true, joinedAt: before.joinedAt.toISOString() });
    expect(await storedLink(1, 1)).toEqual(before);

    const lists = await memberships(1, 1);
    expect(lists.heroTeams.find((edge) => edge.node.id === teamId(1))).toEqual(heroTeamsEdge);
    expect(lists.teamHeroes.find((edge) => edge.node.id === heroId(1))).toEqual(teamHeroesEdge);
  });

  it('sends no more SQL statements with both edges than without them', async () => {
    const plain = await recordSql(() =>
      ok(AddHeroToTeamPlain, { input: { heroId: heroId(4), teamId: teamId(1), isTraining: false } }),
    );
    const withEdges = await recordSql(() =>
      ok(AddHeroToTeam, { input: { heroId: heroId(4), teamId: teamId(2), isTraining: false } }),
    );
    expect(withEdges.statements).toHaveLength(plain.statements.length);
  });
});

describe('updateMembership', () => {
  it('returns the changed membership as an edge of both connections, with the joinedAt it had', async () => {
    const { team, nextTeam } = await membershipInTheMiddle();
    await ok(AddHeroToTeam, { input: { heroId: heroId(5), teamId: teamId(team), isTraining: false } });
    const joined = (await storedLink(5, team)).joinedAt;

    const data = await ok(UpdateMembership, { input: { heroId: heroId(5), teamId: teamId(team), isTraining: true } });
    const { heroTeamsEdge, teamHeroesEdge } = data.updateMembership;
    const link = await storedLink(5, team);
    expect(link).toMatchObject({ isTraining: true, joinedAt: joined });
    expect(heroTeamsEdge).toMatchObject({
      isTraining: true,
      joinedAt: link.joinedAt.toISOString(),
      node: { id: teamId(team) },
    });
    expect(teamHeroesEdge).toMatchObject({
      isTraining: true,
      joinedAt: link.joinedAt.toISOString(),
      node: { id: heroId(5) },
    });

    const lists = await memberships(5, team);
    expect(lists.heroTeams[1]).toEqual(heroTeamsEdge);
    expect(lists.teamHeroes[1]).toEqual(teamHeroesEdge);
    const rest = await memberships(5, team, { heroTeams: heroTeamsEdge.cursor, teamHeroes: teamHeroesEdge.cursor });
    expect(rest.heroTeams.map((edge) => edge.node.id)).toEqual([teamId(nextTeam)]);
    expect(rest.teamHeroes.map((edge) => edge.node.id)).toEqual([heroId(6)]);
  });
});

describe('removeHeroFromTeam', () => {
  it('names the hero and the team, as queries return their ids, whether or not it removed anything', async () => {
    const input = { heroId: heroId(2), teamId: teamId(1) };
    const removed = await ok(RemoveHeroFromTeam, { input });
    expect(removed.removeHeroFromTeam).toEqual({
      removed: true,
      removedHeroId: input.heroId,
      removedTeamId: input.teamId,
    });
    const again = await ok(RemoveHeroFromTeam, { input });
    expect(again.removeHeroFromTeam).toEqual({
      removed: false,
      removedHeroId: input.heroId,
      removedTeamId: input.teamId,
    });
  });
});
