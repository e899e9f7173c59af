import { Prisma } from '../generated/prisma/client';
import type { Link } from './registry';

/*
 * Lock order of every write to a link, so that no two of our mutations can deadlock. It is told
 * here of the heroes-teams link, whose first end (link.ends[0]) is the hero and whose second end is
 * the team, the end whose counters the link's triggers keep; the functions below take any link,
 * and any link's writes (src/links/writes.ts, src/links/bulk-writes.ts) keep the same order:
 *
 *   1. the heroes' rows: FOR UPDATE when the mutation replaces or deletes all of a hero's links
 *      (setHeroTeams, deleteHero) or adds links of many heroes to one team (addHeroesToTeam,
 *      setTeamHeroes: lockFirsts, in id order); FOR KEY SHARE when it adds one link
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
 * sentence is what makes that safe. The bulk writes (src/links/bulk-writes.ts) hold a team
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
 *   before any link (lockedSecond, lockSecond), so one of them and the bulk write wait for the other at
 *   the team, the waiter holding no link.
 * - another bulk write: heroes in the same order, then one team each; on one team they take turns
 *   at the team, on two teams they write different links.
 * - createHero: its hero is new, in no list; it holds its teams and waits for nothing else.
 *   updateHero, updateTeam: one row each, and nothing after it.
 */

/**
 * Locks the second end's rows in id order (step 2 above) for a transaction about to write their
 * links: those of `ids` and those the first end's node `ofFirst` is linked to. Returns the ids
 * locked: until the transaction ends, none of them can be deleted.
 */
export async function lockSeconds(
  tx: Prisma.TransactionClient,
  link: Link,
  seconds: { ids?: number[]; ofFirst?: number },
): Promise<number[]> {
  if (seconds.ofFirst === undefined && !seconds.ids?.length) return [];
  const [first, second] = link.ends;
  const rows = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM ${second.entity.table}
    WHERE id = ANY(${seconds.ids ?? []}::int[])
       OR id IN (SELECT ${second.column} FROM ${link.table} WHERE ${first.column} = ${seconds.ofFirst ?? null})
    ORDER BY id FOR NO KEY UPDATE`;
  return rows.map((row) => row.id);
}

/**
 * Locks the first end's rows FOR UPDATE, in id order, in one statement (step 1 above), for a
 * transaction about to write their links to one second-end node it locks next (lockSecond).
 * Returns the ids locked: the nodes that exist, which no one can delete, nor link anywhere, until
 * it ends.
 */
export async function lockFirsts(tx: Prisma.TransactionClient, link: Link, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM ${link.ends[0].entity.table} WHERE id = ANY(${ids}::int[]) ORDER BY id FOR UPDATE`;
  return rows.map((row) => row.id);
}

/**
 * One second-end row, locked FOR NO KEY UPDATE (step 2 above), for a transaction about to write its
 * links; undefined when there is none. Until the transaction ends, it cannot be deleted or
 * changed, and no one else writes its links.
 */
export async function lockSecond<Row>(tx: Prisma.TransactionClient, link: Link, id: number): Promise<Row | undefined> {
  const { entity } = link.ends[1];
  const [row] = await tx.$queryRaw<Row[]>`
    SELECT ${entity.selectBare} FROM ${entity.table} WHERE id = ${id} FOR NO KEY UPDATE`;
  return row;
}

/**
 * One first-end row, locked FOR UPDATE (step 1 above), for a transaction about to replace or delete
 * all its links (replaceLinksOfFirst, deleteFirst); undefined when there is none.
 */
export async function lockFirst<Row>(tx: Prisma.TransactionClient, link: Link, id: number): Promise<Row | undefined> {
  const { entity } = link.ends[0];
  const [row] = await tx.$queryRaw<Row[]>`
    SELECT ${entity.selectBare} FROM ${entity.table} WHERE id = ${id} FOR UPDATE`;
  return row;
}

/**
 * One first-end row, key-share locked (step 1 above), as a FROM item: `SELECT … FROM
 * ${lockedFirst(link, id)}` locks it before the statement writes anything, and yields no row when
 * it is gone.
 */
export function lockedFirst(link: Link, id: number): Prisma.Sql {
  return Prisma.sql`(SELECT id FROM ${link.ends[0].entity.table} WHERE id = ${id} FOR KEY SHARE) h`;
}

/**
 * The id of one second-end row, locked (step 2 above), as a sub-select: a single statement that
 * writes its link with `column = ${lockedSecond(link, id)}` locks it first, since the sub-select
 * runs before the scan. NULL, so nothing is written, when it is gone.
 */
export function lockedSecond(link: Link, id: number): Prisma.Sql {
  return Prisma.sql`(SELECT id FROM ${link.ends[1].entity.table} WHERE id = ${id} FOR NO KEY UPDATE)`;
}
