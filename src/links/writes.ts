import { prisma } from '../db';
import { lockedHero, lockedTeam, lockHero, lockTeams } from '../db/locks';
import { notFound } from '../errors';
import type { Hero, HeroTeamLink, Prisma, Team } from '../generated/prisma/client';
import { globalId } from '../ids';
import { refuseRepeated } from './checks';

// Writes of memberships seen from one hero: one membership (add, update, remove), all of a hero's
// (create a hero with teams, replace them, delete the hero), with their checks and the lock order
// of src/db/locks.ts (the hero, then its teams in id order, then links). The bulk writes of one
// team's memberships are in team-heroes.ts.

type Tx = Prisma.TransactionClient;

/** One membership as a write receives it (database ids). */
export interface TeamMembership {
  teamId: number;
  isTraining: boolean;
}

/** The membership's own columns, as a write made or found them. */
export type LinkRow = Pick<HeroTeamLink, 'isTraining' | 'joinedAt'>;

export interface Pair {
  hero: Hero;
  team: Team;
}

/**
 * Checks a list of memberships (each team listed once and existing) and locks their teams, with
 * those the hero `ofHero` belongs to now, before any link is written: a team that exists here then
 * exists until the transaction ends.
 */
async function lockMemberships(tx: Tx, memberships: readonly TeamMembership[], ofHero?: number): Promise<void> {
  const ids = memberships.map((m) => m.teamId);
  refuseRepeated('Team', ids);
  const found = new Set(await lockTeams(tx, { ids, ofHero }));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw notFound(`No team with id ${globalId('Team', missing)}`);
}

/** Creates a hero with its memberships: all of them or, if one team is missing, no hero at all. */
export async function createHeroWithTeams(
  hero: Pick<Hero, 'name' | 'secretName' | 'age'>,
  memberships: readonly TeamMembership[],
): Promise<Hero> {
  return prisma.$transaction(async (tx) => {
    await lockMemberships(tx, memberships);
    return tx.hero.create({ data: { ...hero, teamLinks: { createMany: { data: [...memberships] } } } });
  });
}

/**
 * Makes the hero's memberships exactly the list, whole or not at all. The row lock on the hero
 * orders concurrent calls for one hero: each sees the previous one's result, and one list wins whole.
 */
export async function setHeroTeams(heroId: number, memberships: readonly TeamMembership[]): Promise<Hero> {
  return prisma.$transaction(async (tx) => {
    const hero = await lockHero(tx, heroId);
    if (!hero) throw notFound(`No hero with id ${globalId('Hero', heroId)}`);
    // Every team whose membership may change, old and new, is locked before any link is written.
    await lockMemberships(tx, memberships, heroId);
    const teamIds = memberships.map((m) => m.teamId);
    await tx.heroTeamLink.deleteMany({ where: { heroId, teamId: { notIn: teamIds } } });
    if (memberships.length > 0) {
      await tx.$executeRaw`
        INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining")
        SELECT m."teamId", ${heroId}, m."isTraining"
        FROM unnest(${teamIds}::int[], ${memberships.map((m) => m.isTraining)}::boolean[]) AS m("teamId", "isTraining")
        ON CONFLICT ("teamId", "heroId") DO UPDATE SET "isTraining" = EXCLUDED."isTraining"`;
    }
    return hero;
  });
}

/** Deletes the hero, and by cascade its memberships, after locking the hero and then its teams. */
export async function deleteHero(heroId: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const hero = await lockHero(tx, heroId);
    if (!hero) throw notFound(`No hero with id ${globalId('Hero', heroId)}`);
    await lockTeams(tx, { ofHero: heroId });
    await tx.hero.delete({ where: { id: heroId } });
  });
}

/** The hero and the team of a membership write, both of which must exist. */
async function findPair(heroId: number, teamId: number): Promise<Pair> {
  const [hero, team] = await Promise.all([
    prisma.hero.findUnique({ where: { id: heroId } }),
    prisma.team.findUnique({ where: { id: teamId } }),
  ]);
  if (!hero) throw notFound(`No hero with id ${globalId('Hero', heroId)}`);
  if (!team) throw notFound(`No team with id ${globalId('Team', teamId)}`);
  return { hero, team };
}

/** Makes the hero a member of the team; a membership that exists is left as it is (and returned). */
export async function addMembership(
  heroId: number,
  teamId: number,
  isTraining: boolean,
): Promise<Pair & { link: LinkRow }> {
  const pair = await findPair(heroId, teamId);
  // The hero's row is locked before the link exists.
  await prisma.$executeRaw`
    INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining")
    SELECT ${teamId}, id, ${isTraining} FROM ${lockedHero(heroId)}
    ON CONFLICT ("teamId", "heroId") DO NOTHING`;
  const link = await prisma.heroTeamLink.findUnique({ where: { teamId_heroId: { teamId, heroId } } });
  // Only a concurrent removal can take the link away between the two statements.
  if (!link) throw notFound(`The membership of hero ${globalId('Hero', heroId)} was removed meanwhile`);
  return { ...pair, link };
}

/** Sets a membership's isTraining; NOT_FOUND when the hero is not a member of the team. */
export async function updateMembership(
  heroId: number,
  teamId: number,
  isTraining: boolean,
): Promise<Pair & { link: LinkRow }> {
  const pair = await findPair(heroId, teamId);
  // The team's row is locked before the link's. RETURNING hands back the membership's joinedAt
  // for the payload's edges in the same statement.
  const [link] = await prisma.$queryRaw<LinkRow[]>`
    UPDATE "HeroTeamLink" SET "isTraining" = ${isTraining}
    WHERE "heroId" = ${heroId} AND "teamId" = ${lockedTeam(teamId)}
    RETURNING "isTraining", "joinedAt"`;
  if (!link) throw notFound(`Hero ${globalId('Hero', heroId)} is not a member of team ${globalId('Team', teamId)}`);
  return { ...pair, link };
}

/** Ends a membership; `removed` is false when there was none. */
export async function removeMembership(heroId: number, teamId: number): Promise<Pair & { removed: boolean }> {
  const pair = await findPair(heroId, teamId);
  // The team's row is locked before the link's.
  const count = await prisma.$executeRaw`
    DELETE FROM "HeroTeamLink" WHERE "heroId" = ${heroId} AND "teamId" = ${lockedTeam(teamId)}`;
  return { ...pair, removed: count > 0 };
}
