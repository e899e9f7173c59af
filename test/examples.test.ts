import { documented, sampleServer } from './support/sample-server';

// The examples of the link layer (filters through the link, joinedAt, bulk memberships, payload
// edges), written as a client would send them, over HTTP to a freshly started server with its
// sample data: PGlite in a new folder, or this file's new PostgreSQL database.

const send = sampleServer('examples');

const names = (connection: unknown) =>
  (connection as { edges: { node: { name: string } }[] }).edges.map((edge) => edge.node.name);

// The sample data's ids, as queries hand them out.
const P = 'VGVhbTox'; // Team:1, Preventers
const Z = 'VGVhbToy'; // Team:2, Z-Force
const hero = (id: number) => Buffer.from(`Hero:${id}`).toString('base64');

it("docs/api.md's JoinZForce changes what the sample data shows", async () => {
  const data = await send(documented('JoinZForce'));
  expect(data.addHeroToTeam).toEqual({
    isTraining: false,
    hero: { name: 'Rusty-Man', teams: { totalCount: 2 } },
    team: { name: 'Z-Force', heroes: { totalCount: 2 } },
  });
  // Back to the sample data, which the examples below start from.
  const left = await send(
    `mutation ($hero: ID!, $team: ID!) { removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) { removed } }`,
    { hero: hero(2), team: Z },
  );
  expect(left.removeHeroFromTeam).toEqual({ removed: true });
});

it('filters through the link', async () => {
  const data = await send(
    `query ($P: ID!, $Z: ID!) {
      inBoth: heroes(where: { and: [{ teams: { some: { team: { ids: [$P] } } } }, { teams: { some: { team: { ids: [$Z] } } } }] }) { edges { node { name } } }
      inNoTeam: heroes(where: { teams: { none: {} } }) { totalCount edges { node { name } } }
      allTraining: heroes(where: { teams: { every: { isTraining: true } } }) { edges { node { name } } }
      withTrainee: teams(where: { heroes: { some: { isTraining: true } } }) { edges { node { name } } }
      team(id: $P) {
        olderThan30: heroes(where: { minAge: 31 }, orderBy: { field: NAME }) { edges { node { name age } } }
        newest: heroes(first: 10, orderBy: { field: JOINED_AT, direction: DESC }) { edges { joinedAt node { name } } }
      }
    }`,
    { P, Z },
  );
  expect(names(data.inBoth)).toEqual(['Deadpond']);
  const noTeam = ['Tarantula', 'Black Lion', 'Dr. Weird', 'Captain North America'];
  expect(names(data.inNoTeam)).toEqual(noTeam);
  expect(names(data.allTraining)).toEqual(['Spider-Boy', ...noTeam]);
  expect(names(data.withTrainee)).toEqual(['Preventers']);
  const team = data.team as { olderThan30: unknown; newest: { edges: { joinedAt: string }[] } };
  expect(names(team.olderThan30)).toEqual(['Rusty-Man']);
  // The sample data is loaded in one transaction: one instant, so the newest come by id, descending.
  expect(names(team.newest)).toEqual(['Spider-Boy', 'Rusty-Man', 'Deadpond']);
  for (const edge of team.newest.edges) expect(edge.joinedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

it('bulk memberships and the payload edges', async () => {
  const heroes = [2, 3, 4].map((id) => ({ heroId: hero(id), isTraining: id === 4 }));
  const added = await send(
    `mutation ($team: ID!, $heroes: [HeroMembershipInput!]!) {
      addHeroesToTeam(input: { teamId: $team, heroes: $heroes }) { added removed updated team { heroes { totalCount } } }
    }`,
    { team: Z, heroes },
  );
  expect(added.addHeroesToTeam).toEqual({ added: 3, removed: 0, updated: 0, team: { heroes: { totalCount: 4 } } });

  const set = await send(
    `mutation ($team: ID!, $heroes: [HeroMembershipInput!]!) {
      setTeamHeroes(input: { teamId: $team, heroes: $heroes }) { added removed updated team { heroes { edges { isTraining node { name } } } } }
    }`,
    { team: Z, heroes: [{ heroId: hero(1) }, { heroId: hero(4) }, { heroId: hero(5), isTraining: true }] },
  );
  expect(set.setTeamHeroes).toMatchObject({ added: 1, removed: 2, updated: 1 });

  const removed = await send(
    `mutation ($team: ID!, $heroes: [ID!]!) {
      removeHeroesFromTeam(input: { teamId: $team, heroIds: $heroes }) { removed team { heroes { totalCount } } }
    }`,
    { team: Z, heroes: [hero(4), hero(6)] },
  );
  expect(removed.removeHeroesFromTeam).toEqual({ removed: 1, team: { heroes: { totalCount: 2 } } });

  const joined = await send(
    `mutation ($hero: ID!, $team: ID!) {
      addHeroToTeam(input: { heroId: $hero, teamId: $team }) {
        heroTeamsEdge { cursor isTraining joinedAt node { name } }
        teamHeroesEdge { cursor node { name } }
      }
    }`,
    { hero: hero(7), team: P },
  );
  expect(joined.addHeroToTeam).toMatchObject({
    heroTeamsEdge: { isTraining: false, node: { name: 'Preventers' } },
    teamHeroesEdge: { node: { name: 'Captain North America' } },
  });
  const left = await send(
    `mutation ($hero: ID!, $team: ID!) {
      removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) { removed removedHeroId removedTeamId }
    }`,
    { hero: hero(7), team: P },
  );
  expect(left.removeHeroFromTeam).toEqual({ removed: true, removedHeroId: hero(7), removedTeamId: P });
});
