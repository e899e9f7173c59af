import { Prisma } from '../generated/prisma/client';

/*
 * Lock order of every write to memberships, so that no two of our mutations can deadlock:
 *
 *   1. the hero's row: FOR UPDATE when the mutation replaces or deletes all of a hero's links
 *      (setHeroTeams, deleteHero); FOR KEY SHARE when it adds one link (addHeroToTeam);
 *   2. the teams' rows, in id order (the triggers on HeroTeamLink update Team."heroCount", which
 *      locks them; deleteTeam locks its team first);
 *   3. the link rows.
 *
 * Each step before the next matters:
 * - 2 before 3: a statement that deleted a link row and only then, in its trigger, waited for the
 *   team's row would deadlock with deleteTeam, which holds the team and waits for the same link
 *   row in its cascade.
 * - 2 before 3 for inserts too: the foreign key of each new link takes a key-share lock on its
 *   team, in the order of the rows, and holds it while the trigger waits for the statement's teams.
 *   Holding one team while waiting for another could close a cycle with deleteTeam (waiting on
 *   the key-share lock) and a writer between them, so createHero, which links several teams, locks
 *   them first, in id order.
 * - 1 before 3: an INSERT of a link checks its foreign key to the hero (a key-share lock) only
 *   after its row exists; waiting there for setHeroTeams, which holds the hero and whose own insert
 *   of the same membership waits for that row, would deadlock. The foreign key to the team and the
 *   trigger then lock the team, which no one holding it waits on a new link for.
 */

/**
 * Locks the teams' rows in id order (step 2 above) for a transaction about to write their links:
 * the teams of `ids` and those the hero `ofHero` belongs to. Returns the ids locked: until the
 * transaction ends, none of them can be deleted.
 */
export async function lockTeams(
  tx: Prisma.TransactionClient,
  teams: { ids?: number[]; ofHero?: number },
): Promise<number[]> {
  if (teams.ofHero === undefined && !teams.ids?.length) return [];
  const rows = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM "Team"
    WHERE id = ANY(${teams.ids ?? []}::int[])
       OR id IN (SELECT "teamId" FROM "HeroTeamLink" WHERE "heroId" = ${teams.ofHero ?? null})
    ORDER BY id FOR NO KEY UPDATE`;
  return rows.map((row) => row.id);
}

/**
 * The row of one hero, key-share locked (step 1 above), as a FROM item: `SELECT … FROM
 * ${lockedHero(id)}` locks the hero before the statement writes anything, and yields no row when
 * the hero is gone.
 */
export function lockedHero(heroId: number): Prisma.Sql {
  return Prisma.sql`(SELECT id FROM "Hero" WHERE id = ${heroId} FOR KEY SHARE) h`;
}

/**
 * The id of one team, locked (step 2 above), as a sub-select: a single statement that writes the
 * team's link with `"teamId" = ${lockedTeam(id)}` locks the team first, since the sub-select runs
 * before the scan. NULL, so nothing is written, when the team is gone.
 */
export function lockedTeam(teamId: number): Prisma.Sql {
  return Prisma.sql`(SELECT id FROM "Team" WHERE id = ${teamId} FOR NO KEY UPDATE)`;
}
