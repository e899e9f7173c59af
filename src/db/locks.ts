import type { Prisma } from '../generated/prisma/client';

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
 * Locks the teams' rows in id order (step 2 above) for a transaction about to write their links,
 * and returns their ids: until it ends, none of them can be deleted.
 */
export async function lockTeams(tx: Prisma.TransactionClient, where: Prisma.Sql): Promise<number[]> {
  const rows = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Team" WHERE ${where} ORDER BY id FOR NO KEY UPDATE`;
  return rows.map((row) => row.id);
}
