import { encodeGlobalID } from '@pothos/plugin-relay';
import { prisma } from '../../src/db';
import { seedIfEmpty } from '../../src/db/seed';

/** Empties every table (and restarts ids, so the periods of earlier heroes and teams go too), so each test starts from a known state. */
export async function resetDatabase(options: { seed?: boolean } = {}): Promise<void> {
  await prisma.$executeRawUnsafe(
    'TRUNCATE "HeroTeamLink", "Hero", "Team", "MembershipPeriod" RESTART IDENTITY CASCADE',
  );
  if (options.seed) await seedIfEmpty(prisma);
}

export const heroId = (id: number) => encodeGlobalID('Hero', id);
export const teamId = (id: number) => encodeGlobalID('Team', id);

export async function makeTeams(count: number, prefix = 'Team'): Promise<number[]> {
  const rows = await prisma.team.createManyAndReturn({
    data: Array.from({ length: count }, (_, i) => ({ name: `${prefix} ${i + 1}`, headquarters: `HQ ${i + 1}` })),
    select: { id: true },
  });
  return rows.map((row) => row.id);
}

export async function makeHeroes(count: number, prefix = 'Hero'): Promise<number[]> {
  const rows = await prisma.hero.createManyAndReturn({
    data: Array.from({ length: count }, (_, i) => ({
      name: `${prefix} ${String(i + 1).padStart(5, '0')}`,
      secretName: `Secret ${i + 1}`,
      age: i % 7 === 0 ? null : 20 + (i % 50),
    })),
    select: { id: true },
  });
  return rows.map((row) => row.id);
}

/** Links every hero to every team; every third membership is in training. */
export async function linkAll(heroIds: number[], teamIds: number[]): Promise<void> {
  const data = heroIds.flatMap((hero, h) =>
    teamIds.map((team, t) => ({ heroId: hero, teamId: team, isTraining: (h + t) % 3 === 0 })),
  );
  for (let i = 0; i < data.length; i += 10_000) {
    await prisma.heroTeamLink.createMany({ data: data.slice(i, i + 10_000) });
  }
}

export async function tableCounts() {
  const [heroes, teams, links] = await Promise.all([
    prisma.hero.count(),
    prisma.team.count(),
    prisma.heroTeamLink.count(),
  ]);
  return { heroes, teams, links };
}

/**
 * Teams whose counters (Team."heroCount", "trainingHeroCount") and heroes whose counter
 * (Hero."teamCount") differ from counting their links.
 */
export async function counterMismatches() {
  return prisma.$queryRaw<{ node: string; id: number; counters: number[]; counted: number[] }[]>`
    SELECT * FROM (
      SELECT 'Team' AS node, t.id, ARRAY[t."heroCount", t."trainingHeroCount"] AS counters,
             ARRAY[count(l."heroId"), count(l."heroId") FILTER (WHERE l."isTraining")]::int[] AS counted
      FROM "Team" t LEFT JOIN "HeroTeamLink" l ON l."teamId" = t.id
      GROUP BY t.id
      UNION ALL
      SELECT 'Hero', h.id, ARRAY[h."teamCount"], ARRAY[count(l."teamId")]::int[]
      FROM "Hero" h LEFT JOIN "HeroTeamLink" l ON l."heroId" = h.id
      GROUP BY h.id
    ) c
    WHERE counters <> counted ORDER BY node, id`;
}

/**
 * `count` heroes whose names and ages tie often (seven names, thirty ages, one hero in six with
 * none), in id order: for pages whose orders must break ties by id and place NULL.
 */
export function makeHeroesWithTies(count: number) {
  const words = ['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA', 'ECHO', 'FOXTROT', 'GOLF'];
  return prisma.hero.createManyAndReturn({
    data: Array.from({ length: count }, (_, i) => ({
      name: words[(i * 5) % words.length]!,
      secretName: `Secret ${i}`,
      age: i % 6 === 0 ? null : 20 + ((i * 7) % 30),
    })),
    select: { id: true, name: true, age: true },
  });
}

/** `list` in the order PostgreSQL gives `key`: NULL is the largest value; ties broken by id in the same direction. */
export function inPostgresOrder<T extends { id: number }>(
  list: readonly T[],
  key: (item: T) => string | number | null,
  direction: string,
): T[] {
  const sign = direction === 'ASC' ? 1 : -1;
  return [...list].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x !== y) {
      if (x === null) return sign;
      if (y === null) return -sign;
      return sign * (x < y ? -1 : 1);
    }
    return sign * (a.id - b.id);
  });
}
