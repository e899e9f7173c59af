import type { PrismaClient } from '../generated/prisma/client';

// The sample data of SQLModel's many-to-many tutorial, with the memberships of its
// "link model with extra fields" chapter.
const teams = [
  { name: 'Preventers', headquarters: 'Sharp Tower' },
  { name: 'Z-Force', headquarters: "Sister Margaret's Bar" },
] as const;

const heroes: { name: string; secretName: string; age: number | null; teams: [string, boolean][] }[] = [
  {
    name: 'Deadpond',
    secretName: 'Dive Wilson',
    age: null,
    teams: [
      ['Z-Force', false],
      ['Preventers', true],
    ],
  },
  { name: 'Rusty-Man', secretName: 'Tommy Sharp', age: 48, teams: [['Preventers', false]] },
  { name: 'Spider-Boy', secretName: 'Pedro Parqueador', age: null, teams: [['Preventers', true]] },
  { name: 'Tarantula', secretName: 'Natalia Roman-on', age: 32, teams: [] },
  { name: 'Black Lion', secretName: 'Trevor Challa', age: 35, teams: [] },
  { name: 'Dr. Weird', secretName: 'Steve Weird', age: 36, teams: [] },
  { name: 'Captain North America', secretName: 'Esteban Rogelios', age: 93, teams: [] },
];

/** Loads the sample data when the database has no heroes and no teams; returns whether it did. */
export async function seedIfEmpty(prisma: PrismaClient): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const [heroCount, teamCount] = await Promise.all([tx.hero.count(), tx.team.count()]);
    if (heroCount > 0 || teamCount > 0) return false;
    const teamIds = new Map<string, number>();
    for (const team of teams) {
      const created = await tx.team.create({ data: team });
      teamIds.set(team.name, created.id);
    }
    for (const hero of heroes) {
      await tx.hero.create({
        data: {
          name: hero.name,
          secretName: hero.secretName,
          age: hero.age,
          teamLinks: {
            create: hero.teams.map(([team, isTraining]) => ({ teamId: teamIds.get(team)!, isTraining })),
          },
        },
      });
    }
    return true;
  });
}
