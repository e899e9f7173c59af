import { prisma } from '../src/db';
import { graphql } from './gql';
import { heroId, makeTeams, resetDatabase, tableCounts, teamId } from './support/factories';
import { codes, executeOperation, ok } from './support/graphql';

beforeEach(() => resetDatabase({ seed: true }));

const CreateTeam = graphql(`
  mutation CreateTeam($input: CreateTeamInput!) {
    createTeam(input: $input) {
      team {
        id
        name
        headquarters
        heroes {
          totalCount
        }
      }
    }
  }
`);

const UpdateTeam = graphql(`
  mutation UpdateTeam($input: UpdateTeamInput!) {
    updateTeam(input: $input) {
      team {
        id
        name
        headquarters
      }
    }
  }
`);

const DeleteTeam = graphql(`
  mutation DeleteTeam($input: DeleteTeamInput!) {
    deleteTeam(input: $input) {
      deletedId
    }
  }
`);

const CreateHero = graphql(`
  mutation CreateHero($input: CreateHeroInput!) {
    createHero(input: $input) {
      hero {
        id
        name
        secretName
        age
        teams {
          totalCount
          edges {
            isTraining
            node {
              name
              heroes {
                totalCount
              }
            }
          }
        }
      }
    }
  }
`);

const UpdateHero = graphql(`
  mutation UpdateHero($input: UpdateHeroInput!) {
    updateHero(input: $input) {
      hero {
        id
        name
        secretName
        age
      }
    }
  }
`);

const DeleteHero = graphql(`
  mutation DeleteHero($input: DeleteHeroInput!) {
    deleteHero(input: $input) {
      deletedId
    }
  }
`);

const AddHeroToTeam = graphql(`
  mutation AddHeroToTeam($input: AddHeroToTeamInput!) {
    addHeroToTeam(input: $input) {
      isTraining
      hero {
        name
        teams {
          totalCount
          edges {
            isTraining
            node {
              name
            }
          }
        }
      }
      team {
        name
        heroes {
          totalCount
          edges {
            isTraining
            node {
              name
            }
          }
        }
      }
    }
  }
`);

const UpdateMembership = graphql(`
  mutation UpdateMembership($input: UpdateMembershipInput!) {
    updateMembership(input: $input) {
      isTraining
      hero {
        teams(isTraining: true) {
          edges {
            node {
              name
            }
          }
        }
      }
      team {
        heroes(isTraining: true) {
          edges {
            node {
              name
            }
          }
        }
      }
    }
  }
`);

const RemoveHeroFromTeam = graphql(`
  mutation RemoveHeroFromTeam($input: RemoveHeroFromTeamInput!) {
    removeHeroFromTeam(input: $input) {
      removed
      hero {
        teams {
          totalCount
        }
      }
      team {
        heroes {
          totalCount
          edges {
            node {
              name
            }
          }
        }
      }
    }
  }
`);

const SetHeroTeams = graphql(`
  mutation SetHeroTeams($input: SetHeroTeamsInput!) {
    setHeroTeams(input: $input) {
      hero {
        name
        teams {
          edges {
            isTraining
            node {
              name
            }
          }
        }
      }
    }
  }
`);

const links = async (hero: number) =>
  (await prisma.heroTeamLink.findMany({ where: { heroId: hero }, orderBy: { teamId: 'asc' } })).map((l) => [
    l.teamId,
    l.isTraining,
  ]);

describe('teams', () => {
  it('creates, updates and deletes a team', async () => {
    const created = await ok(CreateTeam, { input: { name: 'Avengers', headquarters: 'Stark Tower' } });
    expect(created.createTeam.team).toEqual({
      id: teamId(3),
      name: 'Avengers',
      headquarters: 'Stark Tower',
      heroes: { totalCount: 0 },
    });
    const updated = await ok(UpdateTeam, { input: { id: teamId(3), headquarters: 'Avengers Mansion' } });
    expect(updated.updateTeam.team).toEqual({ id: teamId(3), name: 'Avengers', headquarters: 'Avengers Mansion' });
    const deleted = await ok(DeleteTeam, { input: { id: teamId(3) } });
    expect(deleted.deleteTeam.deletedId).toBe(teamId(3));
    expect(await prisma.team.count()).toBe(2);
  });

  it('deleting a team removes its memberships, not its heroes', async () => {
    await ok(DeleteTeam, { input: { id: teamId(1) } });
    expect(await tableCounts()).toEqual({ heroes: 7, teams: 1, links: 1 });
  });

  it.each([
    ['an empty name', { name: '', headquarters: 'x' }],
    ['a blank name', { name: '   ', headquarters: 'x' }],
    ['an empty headquarters', { name: 'x', headquarters: '' }],
    ['a NUL byte', { name: 'a\u0000b', headquarters: 'x' }],
    ['a name of 201 characters', { name: 'x'.repeat(201), headquarters: 'x' }],
  ])('refuses to create a team with %s', async (_what, input) => {
    const response = await executeOperation(CreateTeam, { input });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(await prisma.team.count()).toBe(2);
  });

  it('answers NOT_FOUND for a team that does not exist, and BAD_USER_INPUT for a hero id', async () => {
    expect(codes(await executeOperation(UpdateTeam, { input: { id: teamId(99), name: 'x' } }))).toEqual(['NOT_FOUND']);
    expect(codes(await executeOperation(DeleteTeam, { input: { id: teamId(99) } }))).toEqual(['NOT_FOUND']);
    expect(codes(await executeOperation(DeleteTeam, { input: { id: heroId(1) } }))).toEqual(['BAD_USER_INPUT']);
    expect(await prisma.team.count()).toBe(2);
  });
});

describe('heroes', () => {
  it('creates a hero with memberships, visible from both sides in the payload', async () => {
    const data = await ok(CreateHero, {
      input: {
        name: 'Ms. Marvel',
        secretName: 'Kamala Khan',
        age: 16,
        teams: [{ teamId: teamId(2), isTraining: true }, { teamId: teamId(1) }],
      },
    });
    expect(data.createHero.hero).toEqual({
      id: heroId(8),
      name: 'Ms. Marvel',
      secretName: 'Kamala Khan',
      age: 16,
      teams: {
        totalCount: 2,
        edges: [
          { isTraining: false, node: { name: 'Preventers', heroes: { totalCount: 4 } } },
          { isTraining: true, node: { name: 'Z-Force', heroes: { totalCount: 2 } } },
        ],
      },
    });
    expect(await links(8)).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('creates nothing when one of the teams does not exist', async () => {
    const before = await tableCounts();
    const response = await executeOperation(CreateHero, {
      input: { name: 'X', secretName: 'Y', teams: [{ teamId: teamId(1) }, { teamId: teamId(77) }] },
    });
    expect(codes(response)).toEqual(['NOT_FOUND']);
    expect(response.body.errors?.[0]?.message).toContain(teamId(77));
    expect(await tableCounts()).toEqual(before);
  });

  it('creates nothing when a team is listed twice', async () => {
    const before = await tableCounts();
    const response = await executeOperation(CreateHero, {
      input: { name: 'X', secretName: 'Y', teams: [{ teamId: teamId(1) }, { teamId: teamId(1), isTraining: true }] },
    });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(await tableCounts()).toEqual(before);
  });

  it.each([
    ['a negative age', { name: 'X', secretName: 'Y', age: -1 }],
    ['an empty name', { name: '', secretName: 'Y' }],
    ['an empty secret name', { name: 'X', secretName: ' ' }],
    ['a hero id as a team', { name: 'X', secretName: 'Y', teams: [{ teamId: heroId(1) }] }],
    ['a malformed team id', { name: 'X', secretName: 'Y', teams: [{ teamId: 'nope' }] }],
  ])('refuses a hero with %s', async (_what, input) => {
    const before = await tableCounts();
    const response = await executeOperation(CreateHero, { input });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(await tableCounts()).toEqual(before);
  });

  it('updates some fields, leaves the others, and clears the age with null', async () => {
    const renamed = await ok(UpdateHero, { input: { id: heroId(2), name: 'Rusty-Man II' } });
    expect(renamed.updateHero.hero).toEqual({
      id: heroId(2),
      name: 'Rusty-Man II',
      secretName: 'Tommy Sharp',
      age: 48,
    });
    const cleared = await ok(UpdateHero, { input: { id: heroId(2), age: null } });
    expect(cleared.updateHero.hero.age).toBeNull();
  });

  it('refuses bad updates and unknown heroes', async () => {
    expect(codes(await executeOperation(UpdateHero, { input: { id: heroId(2), age: -5 } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(codes(await executeOperation(UpdateHero, { input: { id: heroId(2), name: '' } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(codes(await executeOperation(UpdateHero, { input: { id: heroId(70), name: 'x' } }))).toEqual(['NOT_FOUND']);
    expect(await prisma.hero.findUnique({ where: { id: 2 } })).toMatchObject({ name: 'Rusty-Man', age: 48 });
  });

  it('deletes a hero and its memberships', async () => {
    expect((await ok(DeleteHero, { input: { id: heroId(1) } })).deleteHero.deletedId).toBe(heroId(1));
    expect(await tableCounts()).toEqual({ heroes: 6, teams: 2, links: 2 });
    expect(codes(await executeOperation(DeleteHero, { input: { id: heroId(1) } }))).toEqual(['NOT_FOUND']);
  });
});

describe('memberships', () => {
  it('adds a hero to a team and shows both sides in sync', async () => {
    const data = await ok(AddHeroToTeam, { input: { heroId: heroId(4), teamId: teamId(2), isTraining: true } });
    expect(data.addHeroToTeam.isTraining).toBe(true);
    expect(data.addHeroToTeam.hero.teams).toEqual({
      totalCount: 1,
      edges: [{ isTraining: true, node: { name: 'Z-Force' } }],
    });
    expect(data.addHeroToTeam.team.heroes.totalCount).toBe(2);
    expect(data.addHeroToTeam.team.heroes.edges.map((e) => e.node.name)).toEqual(['Deadpond', 'Tarantula']);
  });

  it('adding an existing membership changes nothing and succeeds (safe to retry)', async () => {
    const data = await ok(AddHeroToTeam, { input: { heroId: heroId(1), teamId: teamId(1), isTraining: false } });
    expect(data.addHeroToTeam.isTraining).toBe(true);
    expect(await links(1)).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('updates and removes memberships; removing a missing one answers removed: false', async () => {
    const updated = await ok(UpdateMembership, { input: { heroId: heroId(2), teamId: teamId(1), isTraining: true } });
    expect(updated.updateMembership.hero.teams.edges.map((e) => e.node.name)).toEqual(['Preventers']);
    expect(updated.updateMembership.team.heroes.edges.map((e) => e.node.name)).toEqual([
      'Deadpond',
      'Rusty-Man',
      'Spider-Boy',
    ]);
    const removed = await ok(RemoveHeroFromTeam, { input: { heroId: heroId(2), teamId: teamId(1) } });
    expect(removed.removeHeroFromTeam).toEqual({
      removed: true,
      hero: { teams: { totalCount: 0 } },
      team: { heroes: { totalCount: 2, edges: [{ node: { name: 'Deadpond' } }, { node: { name: 'Spider-Boy' } }] } },
    });
    const again = await ok(RemoveHeroFromTeam, { input: { heroId: heroId(2), teamId: teamId(1) } });
    expect(again.removeHeroFromTeam.removed).toBe(false);
  });

  it('answers NOT_FOUND for unknown heroes, teams and memberships', async () => {
    const pair = { heroId: heroId(4), teamId: teamId(1) };
    expect(codes(await executeOperation(UpdateMembership, { input: { ...pair, isTraining: true } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await executeOperation(AddHeroToTeam, { input: { ...pair, heroId: heroId(40) } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await executeOperation(AddHeroToTeam, { input: { ...pair, teamId: teamId(40) } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await executeOperation(RemoveHeroFromTeam, { input: { ...pair, teamId: teamId(40) } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await executeOperation(AddHeroToTeam, { input: { heroId: teamId(1), teamId: teamId(1) } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(await prisma.heroTeamLink.count()).toBe(4);
  });

  it('replaces all memberships of a hero with setHeroTeams', async () => {
    const [avengers] = await makeTeams(1, 'Avengers');
    const data = await ok(SetHeroTeams, {
      input: { heroId: heroId(1), teams: [{ teamId: teamId(avengers!), isTraining: true }, { teamId: teamId(1) }] },
    });
    expect(data.setHeroTeams.hero.teams.edges).toEqual([
      { isTraining: false, node: { name: 'Preventers' } },
      { isTraining: true, node: { name: 'Avengers 1' } },
    ]);
    expect(await links(1)).toEqual([
      [1, false],
      [avengers, true],
    ]);
    await ok(SetHeroTeams, { input: { heroId: heroId(1), teams: [] } });
    expect(await links(1)).toEqual([]);
  });

  it('setHeroTeams changes nothing when one team is unknown or listed twice', async () => {
    for (const teams of [
      [{ teamId: teamId(2) }, { teamId: teamId(50) }],
      [{ teamId: teamId(2) }, { teamId: teamId(2) }],
    ]) {
      const response = await executeOperation(SetHeroTeams, { input: { heroId: heroId(1), teams } });
      expect(codes(response)).toHaveLength(1);
      expect(await links(1)).toEqual([
        [1, true],
        [2, false],
      ]);
    }
    expect(codes(await executeOperation(SetHeroTeams, { input: { heroId: heroId(50), teams: [] } }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('runs several mutations of one request in order, each seeing the previous', async () => {
    const Both = graphql(`
      mutation AddThenRemove($hero: ID!, $team: ID!) {
        add: addHeroToTeam(input: { heroId: $hero, teamId: $team }) {
          hero {
            teams {
              totalCount
            }
          }
        }
        remove: removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {
          removed
          hero {
            teams {
              totalCount
            }
          }
        }
      }
    `);
    const data = await ok(Both, { hero: heroId(5), team: teamId(2) });
    expect(data.add.hero.teams.totalCount).toBe(1);
    expect(data.remove).toEqual({ removed: true, hero: { teams: { totalCount: 0 } } });
  });
});
