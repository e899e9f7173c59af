import { type Hero, Prisma, type Team } from '../generated/prisma/client';

/*
 * Lock order of every write to memberships, so that no two of our mutations can deadlock:
 *
 *   1. the heroes' rows: FOR UPDATE when the mutation replaces or deletes all of a hero's links
 *      (setHeroTeams, deleteHero) or adds links of many heroes to one team (addHeroesToTeam,
 *      setTeamHeroes: lockHeroes, in id order); FOR KEY SHARE when it adds one link
 *      (addHeroToTeam); none when it only removes or updates links (removeHeroFromTeam,
 *      updateMembership, removeHeroesFromTeam, the heroes setTeamHeroes drops);
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
 *
 * addHeroToTeam is the one write that takes a link (its new row) before its team, and the last
 * sentence is what makes that safe. The bulk writes (src/memberships/team-heroes.ts) hold a team
 * while they insert the links of many heroes, so they must keep it true: were their heroes only
 * key-share locked, an addHeroToTeam of a listed hero could insert its link and wait for the team
 * the bulk write holds, while the bulk write's insert of the same link waits for it (PostgreSQL
 * reports that deadlock every time in test/concurrency.test.ts with FOR KEY SHARE). FOR UPDATE
 * conflicts with the key-share lock every inserter of a link takes on its hero first, so while a
 * bulk write holds its heroes, no one else is half-way through inserting one of their links.
 *
 * Why a bulk write of 1,000 heroes cannot deadlock with another write on overlapping rows: it takes
 * all its heroes in one statement, in id order, before anything else; then its one team; then
 * links. Only bulk writes lock several heroes, all in id order, and no one waits for a hero while
 * holding a team or a link (foreign-key checks find the hero locked by their own transaction).
 * - setHeroTeams, deleteHero (FOR UPDATE on one hero), addHeroToTeam (key share): on a listed hero,
 *   whoever locks it first goes on, and the other waits holding no team and no link; on another
 *   hero they may hold the bulk write's team, and then wait for nothing it holds: they write only
 *   their own hero's links.
 * - deleteTeam, removeHeroFromTeam, updateMembership, removeHeroesFromTeam: they take the team
 *   before any link (lockedTeam, lockTeam), so one of them and the bulk write wait for the other at
 *   the team, the waiter holding no link.
 * - another bulk write: heroes in the same order, then one team each; on one team they take turns
 *   at the team, on two teams they write different links.
 * - createHero: its hero is new, in no list; it holds its teams and waits for nothing else.
 *   updateHero, updateTeam: one row each, and nothing after it.
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
 * Locks the heroes' rows FOR UPDATE, in id order, in one statement (step 1 above), for a
 * transaction about to write their links to one team it locks next (lockTeam). Returns the ids
 * locked: the heroes that exist, which no one can delete, nor link anywhere, until it ends.
 */
export async function lockHeroes(tx: Prisma.TransactionClient, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM "Hero" WHERE id = ANY(${ids}::int[]) ORDER BY id FOR UPDATE`;
  return rows.map((row) => row.id);
}

/**
 * One team's row, locked FOR NO KEY UPDATE (step 2 above), for a transaction about to write its
 * links; undefined when there is no such team. Until the transaction ends, the team cannot be
 * deleted or renamed, and no one else writes its links.
 */
export async function lockTeam(tx: Prisma.TransactionClient, teamId: number): Promise<Team | undefined> {
  const [team] = await tx.$queryRaw<Team[]>`
    SELECT id, name, headquarters, "heroCount", "trainingHeroCount" FROM "Team" WHERE id = ${teamId} FOR NO KEY UPDATE`;
  return team;
}

/**
 * One hero's row, locked FOR UPDATE (step 1 above), for a transaction about to replace or delete
 * all its links (setHeroTeams, deleteHero); undefined when there is no such hero.
 */
export async function lockHero(tx: Prisma.TransactionClient, heroId: number): Promise<Hero | undefined> {
  const [hero] = await tx.$queryRaw<Hero[]>`
    SELECT id, name, "secretName", age FROM "Hero" WHERE id = ${heroId} FOR UPDATE`;
  return hero;
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
