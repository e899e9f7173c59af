import { type Data, documented, sampleServer } from './support/sample-server';

// docs/api.md's "Membership history" examples, as written there, over HTTP to a freshly started
// server with its sample data: PGlite in a new folder, or this file's new PostgreSQL database.

const send = sampleServer('history');

const P = 'VGVhbTox'; // Team:1, Preventers

it("docs/api.md's Membership history gives what the page says", async () => {
  const heroes = await send(`{ heroes(first: 10) { edges { node { id name } } } }`);
  const idOf = (name: string) => heroes.heroes.edges.find((e: Data) => e.node.name === name).node.id;
  await new Promise((resolve) => setTimeout(resolve, 5));
  const at = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const changed = await send(documented('GraduateAndLeave'), {
    team: P,
    graduate: idOf('Spider-Boy'),
    leaver: idOf('Rusty-Man'),
  });
  expect(changed).toEqual({ updateMembership: { isTraining: false }, removeHeroFromTeam: { removed: true } });

  const { team } = await send(documented('MembershipHistory'), { team: P, at });
  const listed = (connection: Data) => connection.edges.map((e: Data) => [e.node.name, e.isTraining]);
  expect(listed(team.now)).toEqual([
    ['Deadpond', true],
    ['Spider-Boy', false],
  ]);
  expect(listed(team.then)).toEqual([
    ['Deadpond', true],
    ['Rusty-Man', false],
    ['Spider-Boy', true],
  ]);
  expect(team.then.aggregate).toEqual({ count: 3, trainingCount: 2 });

  const periods = team.membershipHistory.edges.map((e: Data) => e.node);
  expect(team.membershipHistory.totalCount).toBe(4);
  expect(periods[0]).toMatchObject({ isTraining: false, to: null, hero: { name: 'Spider-Boy' } });
  const seeded = periods.slice(1);
  expect(seeded.map((p: Data) => p.hero.name).sort()).toEqual(['Deadpond', 'Rusty-Man', 'Spider-Boy']);
  const byName = new Map(seeded.map((p: Data) => [p.hero.name, p]));
  expect((byName.get('Spider-Boy') as Data).to).toBe(periods[0].from);
  expect((byName.get('Rusty-Man') as Data).to).not.toBeNull();
  expect((byName.get('Deadpond') as Data).to).toBeNull();
  expect(Date.parse((byName.get('Rusty-Man') as Data).to)).toBeGreaterThan(Date.parse(at));
});
