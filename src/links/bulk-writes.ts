import { maxBulk } from '../config';
import { prisma } from '../db';
import { lockHeroes, lockTeam } from '../db/locks';
import { refuseRepeated } from './checks';
import { badInput, notFound } from '../errors';
import { Prisma, type Team } from '../generated/prisma/client';
import { globalId } from '../ids';

// Bulk writes of one team's memberships: many heroes in one transaction, with one statement per
// kind of write (insert, update, delete) whatever the length of the list, and the lock order of
// src/db/locks.ts (heroes, then the team, then links).

type Tx = Prisma.TransactionClient;

/** One hero's membership of the team, as a bulk write receives it (database ids). */
export interface HeroMembership {
  heroId: number;
  isTraining: boolean;
}

/** What a bulk write did to the team's memberships. */
export interface TeamHeroesChange {
  /** The team's row as locked before the write; its counters are read afresh by Team.heroes. */
  team: Team;
  /** Memberships created. */
  added: number;
  /** Memberships ended. */
  removed: number;
  /** Memberships kept whose isTraining changed. */
  updated: number;
  /** Every hero whose membership of the team was created, ended or changed. */
  changedHeroIds: number[];
}

/**
 * Refuses, before anything reaches the database, a list longer than MAX_BULK or naming a hero
 * twice (twice with different flags would leave the outcome to the order of the rows).
 */
function checkList(heroIds: readonly number[]): void {
  if (heroIds.length > maxBulk) {
    throw badInput(`At most ${maxBulk} heroes can be listed at once (MAX_BULK); got ${heroIds.length}`);
  }
  refuseRepeated('Hero', heroIds);
}

/** NOT_FOUND for the team, or for the first listed hero that is not among `found`. */
function checkFound(teamId: number, team: Team | undefined, heroIds: readonly number[], found: number[]): Team {
  if (!team) throw notFound(`No team with id ${globalId('Team', teamId)}`);
  const existing = new Set(found);
  const missing = heroIds.filter((id) => !existing.has(id));
  if (missing.length > 0) {
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more unknown heroes)` : '';
    throw notFound(`No hero with id ${globalId('Hero', missing[0]!)}${more}`);
  }
  return team;
}

/**
 * Locks the listed heroes, then the team (src/db/locks.ts), and checks that all exist: after it,
 * none of them can be deleted and no one else writes the team's links until the transaction ends.
 */
async function lockForAdding(tx: Tx, teamId: number, heroIds: readonly number[]): Promise<Team> {
  const found = await lockHeroes(tx, heroIds);
  return checkFound(teamId, await lockTeam(tx, teamId), heroIds, found);
}

/**
 * Inserts the memberships that do not exist yet, leaving existing ones exactly as they are
 * (isTraining, joinedAt). The team and the heroes are locked: no one else can insert, change or
 * remove these links meanwhile.
 */
async function insertNew(tx: Tx, teamId: number, memberships: readonly HeroMembership[]): Promise<number[]> {
  if (memberships.length === 0) return [];
  const rows = await tx.$queryRaw<{ heroId: number }[]>`
    INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining")
    SELECT ${teamId}, m."heroId", m."isTraining"
    FROM unnest(${memberships.map((m) => m.heroId)}::int[], ${memberships.map((m) => m.isTraining)}::boolean[])
      AS m("heroId", "isTraining")
    ON CONFLICT ("teamId", "heroId") DO NOTHING
    RETURNING "heroId"`;
  return rows.map((row) => row.heroId);
}

/**
 * Makes the heroes members of the team; memberships that exist are left as they are.
 * All or nothing: an unknown team or hero writes nothing.
 */
export async function addHeroesToTeam(teamId: number, memberships: readonly HeroMembership[]) {
  const heroIds = memberships.map((m) => m.heroId);
  checkList(heroIds);
  return prisma.$transaction(async (tx): Promise<TeamHeroesChange> => {
    const team = await lockForAdding(tx, teamId, heroIds);
    const added = await insertNew(tx, teamId, memberships);
    return { team, added: added.length, removed: 0, updated: 0, changedHeroIds: added };
  });
}

/**
 * Ends the heroes' memberships of the team; heroes that are not members are ignored. No hero is
 * locked (as removeHeroFromTeam): a removal needs only the team, taken before any link. An unknown
 * team or hero writes nothing.
 */
export async function removeHeroesFromTeam(teamId: number, heroIds: readonly number[]) {
  checkList(heroIds);
  return prisma.$transaction(async (tx): Promise<TeamHeroesChange> => {
    const locked = await lockTeam(tx, teamId);
    const team = checkFound(teamId, locked, heroIds, await existingHeroes(tx, heroIds));
    if (heroIds.length === 0) return { team, added: 0, removed: 0, updated: 0, changedHeroIds: [] };
    const removed = await tx.$queryRaw<{ heroId: number }[]>`
      DELETE FROM "HeroTeamLink" WHERE "teamId" = ${teamId} AND "heroId" = ANY(${heroIds}::int[])
      RETURNING "heroId"`;
    const removedIds = removed.map((row) => row.heroId);
    return { team, added: 0, removed: removedIds.length, updated: 0, changedHeroIds: removedIds };
  });
}

/** Which of the heroes exist, read without a lock: a hero deleted meanwhile takes its links along. */
async function existingHeroes(tx: Tx, heroIds: readonly number[]): Promise<number[]> {
  if (heroIds.length === 0) return [];
  const rows = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Hero" WHERE id = ANY(${heroIds}::int[])`;
  return rows.map((row) => row.id);
}

/**
 * Makes the team's memberships exactly the list: ends the others, creates the new ones and sets
 * isTraining where it differs, keeping joinedAt of the memberships that stay. An empty list ends
 * them all. All or nothing: an unknown team or hero writes nothing.
 */
export async function setTeamHeroes(teamId: number, memberships: readonly HeroMembership[]) {
  const heroIds = memberships.map((m) => m.heroId);
  checkList(heroIds);
  return prisma.$transaction(async (tx): Promise<TeamHeroesChange> => {
    // The heroes the team keeps or gains are locked; those it drops need no lock, as in a removal.
    const team = await lockForAdding(tx, teamId, heroIds);
    const removed = await tx.$queryRaw<{ heroId: number }[]>`
      DELETE FROM "HeroTeamLink" WHERE "teamId" = ${teamId} AND "heroId" <> ALL(${heroIds}::int[])
      RETURNING "heroId"`;
    // Only rows whose flag differs are written, so `updated` counts real changes and the others
    // keep their row as it is.
    const updated =
      memberships.length === 0
        ? []
        : await tx.$queryRaw<{ heroId: number }[]>`
            UPDATE "HeroTeamLink" l SET "isTraining" = m."isTraining"
            FROM unnest(${heroIds}::int[], ${memberships.map((m) => m.isTraining)}::boolean[]) AS m("heroId", "isTraining")
            WHERE l."teamId" = ${teamId} AND l."heroId" = m."heroId" AND l."isTraining" <> m."isTraining"
            RETURNING l."heroId"`;
    const added = await insertNew(tx, teamId, memberships);
    const changedHeroIds = [...removed, ...updated].map((row) => row.heroId).concat(added);
    return { team, added: added.length, removed: removed.length, updated: updated.length, changedHeroIds };
  });
}
