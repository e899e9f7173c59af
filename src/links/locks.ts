import { Prisma } from '../generated/prisma/client';
import type { Link } from './registry';

/*
 * Lock order of every write to a link, so that no two of our mutations can deadlock. It is told
 * here of the heroes-teams link, whose first end (link.ends[0]) is the hero and whose second end is
 * the team; the link's triggers keep counters on both ends (Team."heroCount" and
 * "trainingHeroCount", Hero."teamCount"), and lock the rows they update, heroes in id order and
 * then teams in id order (migrations team_hero_counts, hero_team_count). The functions below take
 * any link, and any link's writes (src/links/writes.ts, src/links/bulk-writes.ts) keep the same
 * order:
 *
 *   1. the heroes' rows, in id order: every hero whose links the mutation inserts or deletes, since
 *      the trigger will update its counter. FOR UPDATE when the mutation replaces or deletes all
 *      of a hero's links (setHeroTeams, deleteHero) or writes links of many heroes to one team
 *      (addHeroesToTeam, removeHeroesFromTeam, and setTeamHeroes, which locks the heroes it lists
 *      and the team's members it may drop: lockFirstsOfSecond); FOR NO KEY UPDATE when it adds or
 *      removes one link (addHeroToTeam, removeHeroFromTeam) or deletes a team (the team's members,
 *      lockFirstsOfSecond). None when it only changes a link's flag (updateMembership), which
 *      changes no hero's count: the trigger locks no hero then.
 *   2. the teams' rows, in id order (the triggers update Team."heroCount", which locks them;
 *      deleteTeam locks its team FOR UPDATE);
 *   3. the link rows.
 *
 * Why the heroes come first since Hero."teamCount" exists: a trigger that locked a hero after its
 * statement had taken a team and links (a removal holding the team, a deleteTeam cascade holding
 * the team and every link of it) would wait for setHeroTeams or deleteHero, which hold the hero
 * FOR UPDATE and wait for that very team in step 2: a deadlock, which the earlier design note
 * found. So every write locks the heroes whose count it changes before anything else, and the
 * trigger finds them held by its own transaction.
 *
 * The members of a team are known only by reading its links, which may change until the team is
 * locked: deleteTeam and setTeamHeroes lock the members they read, then the team, then read the
 * members again (checkFirstsOfSecond). A hero that joined in between (its link committed before
 * the team was locked) is not held: rather than wait for it while holding the team, the
 * transaction is rolled back and run again (retryWhileLinkedMeanwhile), its first step now
 * including that hero. Once the team is locked no other link to it can commit: a new link's
 * trigger needs the team, and deleteTeam's FOR UPDATE also conflicts with the key-share lock of
 * the new link's foreign key.
 *
 * Each step before the next matters:
 * - 1 before 2: the counters' trigger locks heroes before teams; a write holding a team while
 *   waiting for a hero closes a cycle with setHeroTeams (above).
 * - 2 before 3: a statement that deleted a link row and only then, in its trigger, waited for the
 *   team's row would deadlock with deleteTeam, which holds the team and waits for the same link
 *   row in its cascade.
 * - 2 before 3 for inserts too: the foreign key of each new link takes a key-share lock on its
 *   team, in the order of the rows, and holds it while the trigger waits for the statement's teams.
 *   Holding one team while waiting for another could close a cycle with deleteTeam (waiting on
 *   the key-share lock) and a writer between them, so createHero, which links several teams, locks
 *   them first, in id order (its hero is new: no one else can see it, let alone lock it).
 * - 1 before 3: an INSERT of a link checks its foreign key to the hero (a key-share lock) only
 *   after its row exists; waiting there for setHeroTeams, which holds the hero and whose own insert
 *   of the same membership waits for that row, would deadlock. addHeroToTeam locks its hero in the
 *   statement that inserts, before the row exists.
 *
 * addHeroToTeam is the one write that takes a link (its new row) before its team: it holds its
 * hero, so no one else writes that hero's links meanwhile, and whoever holds the team waits for no
 * hero it holds (step 1) nor for its uncommitted link, which no other statement can see.
 *
 * Why a bulk write of 1,000 heroes cannot deadlock with another write on overlapping rows: it takes
 * all its heroes in one statement, in id order, before anything else; then its one team; then
 * links. Writes that lock several heroes lock them in one statement, in id order, and no one waits
 * for a hero while holding a team or a link (foreign-key checks and the trigger find the hero
 * locked by their own transaction).
 * - setHeroTeams, deleteHero, addHeroToTeam, removeHeroFromTeam: on a listed hero, whoever locks
 *   it first goes on, and the other waits holding nothing; on another hero they may hold the bulk
 *   write's team, and then wait for nothing it holds: they write only their own hero's links.
 * - deleteTeam, updateMembership: they take their heroes (if any) and then the team before any
 *   link, so one of them and the bulk write wait for the other at a hero or at the team, the
 *   waiter holding no link.
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
 * One first-end row, locked FOR NO KEY UPDATE (step 1 above: its counter will change), as a FROM
 * item: `SELECT … FROM ${lockedFirst(link, id)}` locks it before the statement writes anything,
 * and yields no row when it is gone.
 */
export function lockedFirst(link: Link, id: number): Prisma.Sql {
  return Prisma.sql`(SELECT id FROM ${link.ends[0].entity.table} WHERE id = ${id} FOR NO KEY UPDATE) h`;
}

/**
 * The id of one second-end row, locked after the first-end row `firstId` (steps 1 and 2 above), as
 * a sub-select: a statement that deletes their link with `column = ${lockedPair(…)}` locks both
 * before the scan reaches a link. NULL, so nothing is written, when either is gone. The first-end
 * row is locked in the filter of the second's scan, which runs before the second's row is locked.
 */
export function lockedPair(link: Link, firstId: number, secondId: number): Prisma.Sql {
  const [first, second] = link.ends;
  return Prisma.sql`(SELECT s.id FROM ${second.entity.table} s
    WHERE s.id = ${secondId}
      AND EXISTS (SELECT 1 FROM (SELECT id FROM ${first.entity.table} WHERE id = ${firstId} FOR NO KEY UPDATE) f)
    FOR NO KEY UPDATE OF s)`;
}

/**
 * Locks, in id order in one statement (step 1 above), the first-end rows of `ids` and those linked
 * now to the second-end node `secondId` (its members, which a delete or a replacement of its links
 * may drop), FOR UPDATE or FOR NO KEY UPDATE. Returns the ids locked. Members that link to it
 * after this statement and before the node itself is locked are caught by checkFirstsOfSecond.
 */
export async function lockFirstsOfSecond(
  tx: Prisma.TransactionClient,
  link: Link,
  secondId: number,
  ids: readonly number[],
  mode: 'FOR UPDATE' | 'FOR NO KEY UPDATE',
): Promise<number[]> {
  const [first, second] = link.ends;
  const rows = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM ${first.entity.table}
    WHERE id = ANY(${ids}::int[])
       OR id IN (SELECT ${first.column} FROM ${link.table} WHERE ${second.column} = ${secondId})
    ORDER BY id ${Prisma.raw(mode)}`;
  return rows.map((row) => row.id);
}

/** A first-end node linked to the second-end node between the locks of its members and of the node. */
class LinkedMeanwhile extends Error {}

/**
 * After the second-end node is locked, no link to it can be committed any more: throws
 * LinkedMeanwhile if one was committed since lockFirstsOfSecond read its members (`locked`), so
 * that retryWhileLinkedMeanwhile runs the transaction again instead of letting its trigger wait for
 * an unlocked first-end row while holding the node.
 */
export async function checkFirstsOfSecond(
  tx: Prisma.TransactionClient,
  link: Link,
  secondId: number,
  locked: readonly number[],
): Promise<void> {
  const [first, second] = link.ends;
  const rows = await tx.$queryRaw<unknown[]>`
    SELECT 1 FROM ${link.table}
    WHERE ${second.column} = ${secondId} AND ${first.column} <> ALL(${locked}::int[]) LIMIT 1`;
  if (rows.length > 0) throw new LinkedMeanwhile();
}

/**
 * Runs a transaction that uses lockFirstsOfSecond and checkFirstsOfSecond until no first-end node
 * linked meanwhile: each run locks every member the previous one found. A race that lost 20 times
 * in a row ends as an internal error rather than spin.
 */
export async function retryWhileLinkedMeanwhile<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof LinkedMeanwhile) || attempt >= 20) throw error;
    }
  }
}

/**
 * The id of one second-end row, locked (step 2 above), as a sub-select: a single statement that
 * writes its link with `column = ${lockedSecond(link, id)}` locks it first, since the sub-select
 * runs before the scan. NULL, so nothing is written, when it is gone.
 */
export function lockedSecond(link: Link, id: number): Prisma.Sql {
  return Prisma.sql`(SELECT id FROM ${link.ends[1].entity.table} WHERE id = ${id} FOR NO KEY UPDATE)`;
}
