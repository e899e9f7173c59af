import { Prisma } from '../generated/prisma/client';

/*
 * Lock order of every write to memberships, so that no two of our mutations can deadlock:
 *
 *   1. the hero's row, FOR UPDATE, when the mutation replaces or deletes all of a hero's links
 *      (setHeroTeams, deleteHero);
 *   2. the teams' rows, in id order (the triggers on HeroTeamLink update Team."heroCount", which
 *      locks them; deleteTeam locks its team first);
 *   3. the link rows.
 *
 * The rule that matters is 2 before 3: a statement that deleted a link row and only then, in its
 * trigger, waited for the team's row would deadlock with deleteTeam, which holds the team and
 * waits for the same link row in its cascade. A plain INSERT of a link needs nothing: it only
 * takes key-share locks (foreign keys) before its trigger locks the team.
 */

/**
 * Locks the teams' rows in id order (step 2 above) for a transaction about to write their links:
 * the teams of `ids` and those the hero `ofHero` belongs to. Returns the ids locked: until the
 * transaction ends, none of them can be deleted.
 */
export async function lockTeams(
  tx: Prisma.TransactionClient,
  teams: { ids?: number[]; ofHero: number },
): Promise<number[]> {
  const rows = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM "Team"
    WHERE id = ANY(${teams.ids ?? []}::int[])
       OR id IN (SELECT "teamId" FROM "HeroTeamLink" WHERE "heroId" = ${teams.ofHero})
    ORDER BY id FOR NO KEY UPDATE`;
  return rows.map((row) => row.id);
}

/**
 * The id of one team, locked (step 2 above), as a sub-select: a single statement that writes the
 * team's link with `"teamId" = ${lockedTeam(id)}` locks the team first, since the sub-select runs
 * before the scan. NULL, so nothing is written, when the team is gone.
 */
export function lockedTeam(teamId: number): Prisma.Sql {
  return Prisma.sql`(SELECT id FROM "Team" WHERE id = ${teamId} FOR NO KEY UPDATE)`;
}
