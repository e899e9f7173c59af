import { type Data, documented, sampleServer } from './support/sample-server';

// The examples of API.md's "Aggregates over the link, and ordering and filtering by them", as
// written there, and docs/api.md's Aggregates, over HTTP to a freshly started server with its
// sample data: PGlite in a new folder, or this file's new PostgreSQL database.

const send = sampleServer('aggregates');

const names = (connection: Data) => connection.edges.map((edge: Data) => edge.node.name);
const P = 'VGVhbTox'; // Team:1, Preventers

describe("API.md's examples, as written", () => {
  it('the five biggest teams', async () => {
    const data = await send(`{
      teams(first: 5, orderBy: { field: HERO_COUNT, direction: DESC }) {
        edges { node { name heroCount trainingHeroCount } }
      }
    }`);
    expect(data.teams.edges.map((e: Data) => e.node)).toEqual([
      { name: 'Preventers', heroCount: 3, trainingHeroCount: 2 },
      { name: 'Z-Force', heroCount: 1, trainingHeroCount: 0 },
    ]);
  });

  it('teams with more than three heroes in training (none in the sample), and more than one', async () => {
    const data = await send(`{
      teams(where: { trainingHeroCount: { gt: 3 } }) { edges { node { name } } }
      moreThanOne: teams(where: { trainingHeroCount: { gt: 1 } }) { edges { node { name } } }
    }`);
    expect(names(data.teams)).toEqual([]);
    expect(names(data.moreThanOne)).toEqual(['Preventers']);
  });

  it('heroes in at least two teams', async () => {
    const data = await send(`{ heroes(where: { teamCount: { gte: 2 } }) { edges { node { name teamCount } } } }`);
    expect(data.heroes.edges.map((e: Data) => e.node)).toEqual([{ name: 'Deadpond', teamCount: 2 }]);
  });

  it("a team's head count, trainees, youngest, oldest and average age, and newest membership, in one field", async () => {
    const data = await send(
      `query ($id: ID!) { team(id: $id) {
        heroes { aggregate { count trainingCount age { min max avg } joinedAt { max } } }
      } }`,
      { id: P },
    );
    expect(data.team.heroes.aggregate).toEqual({
      count: 3,
      trainingCount: 2,
      // Deadpond's and Spider-Boy's ages are unknown.
      age: { min: 48, max: 48, avg: 48 },
      joinedAt: { max: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) },
    });
  });

  it('the average team size', async () => {
    const data = await send(`{ teams { aggregate { heroCount { avg } } } }`);
    expect(data.teams.aggregate).toEqual({ heroCount: { avg: 2 } });
  });
});

it("docs/api.md's Aggregates gives what the page says", async () => {
  const data = await send(documented('Aggregates'), { team: P });
  expect(names(data.biggest)).toEqual(['Preventers', 'Z-Force']);
  expect(names(data.manyTrainees)).toEqual([]);
  expect(data.inTwoTeams.edges).toEqual([{ node: { name: 'Deadpond', teamCount: 2 } }]);
  expect(data.team.heroes.aggregate).toMatchObject({ count: 3, trainingCount: 2, age: { min: 48, max: 48, avg: 48 } });
  // The page holds two; the aggregate, all three.
  expect(data.team.heroes.edges).toHaveLength(2);
  expect(data.teams.aggregate.heroCount.avg).toBe(2);
});
